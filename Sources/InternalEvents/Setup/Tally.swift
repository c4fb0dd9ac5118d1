import Foundation
import Hiredis
import Logging

/// Tally in an app, set up from one `TallyConfiguration`: the definitions loaded, one Redis client (a connection
/// pool, or a cluster client for a `redis+cluster://` URL), one key scheme, the tracker, and the background work to run while the app runs.
///
/// ```swift
/// import InternalEvents
/// import TallyServiceLifecycle
///
/// let tally = try Tally(configuration: .environment())
/// tally.tracker.track("create_note", user: 42, project: 7)        // anywhere: sync, never throws, never waits
/// try await ServiceGroup(services: tally.services + [app], gracefulShutdownSignals: [.sigterm],
///                        logger: tally.logger).run()                // flushes the last events on SIGTERM
/// ```
///
/// **Lifecycle:** the init loads files and builds values; it opens no connection and starts no thread or task.
/// The counter sink's work runs in `run()` (`Tally` is a `BackgroundService`: it runs every part of it at once);
/// on `requestShutdown()` (graceful shutdown, through `TallyServiceLifecycle`) each part does its last flush and
/// `run()` returns. `ServicePingWorker(tally:)` (module `ServicePing`) and `SnowplowEmitter` (module
/// `EventRecords`) take the same value, so every part shares the Redis client and the key prefix.
public struct Tally: BackgroundService {
    public let configuration: TallyConfiguration
    /// Every event and metric definition.
    public let catalog: DefinitionCatalog
    /// GitLab's key names, with the configured prefix and legacy aliases.
    public let scheme: CounterKeyScheme
    /// Events to counter writes.
    public let planner: CounterWritePlanner
    /// The one Redis client of every part of Tally in the process: a `RedisConnectionPool`, or a
    /// `RedisClusterClient` for a cluster. Close it after `run()` returned.
    public let redis: any RedisClient
    /// The counter sink (buffered or direct, as configured).
    public let counters: any EventSink & BackgroundService
    /// Validates events and hands them to the counters (and to the extra sinks given at init).
    public let tracker: Tracker
    /// The work to run while the app runs: the counter sink, then the extra sinks given at init. `run()` runs them
    /// all; `TallyServiceLifecycle`'s `tally.services` gives them to a `ServiceGroup`.
    public let backgroundServices: [any BackgroundService]
    public let logger: Logger

    /// Loads the definitions and builds the parts.
    ///
    /// - Parameters:
    ///   - sinks: more event sinks with background work (an event-record emitter), tracked and run with the
    ///     counters.
    ///   - clock: the tracker's clock (pin it in tests and backfills).
    /// - Throws: `DefinitionLoadError` (every problem of every definition file, each naming file, line and field),
    ///   or `RedisError` `.invalidConfiguration` for a Redis URL that can't be used.
    public init(
        configuration: TallyConfiguration, sinks: [any EventSink & BackgroundService] = [],
        clock: any WallClock = SystemWallClock(), logger: Logger = Logger(label: "tally")
    ) throws {
        let loader = DefinitionLoader(options: configuration.definitionOptions)
        let catalog = try loader.load(from: configuration.definitions.map { URL(fileURLWithPath: $0) })
        let redis = try RedisDeployment(url: configuration.redisURL)
        self.init(
            configuration: configuration, catalog: catalog, redis: redis, sinks: sinks, clock: clock, logger: logger)
    }

    /// Builds the parts from definitions already loaded (tests, and apps that embed their definitions).
    public init(
        configuration: TallyConfiguration, catalog: DefinitionCatalog, redis deployment: RedisDeployment,
        sinks: [any EventSink & BackgroundService] = [], clock: any WallClock = SystemWallClock(),
        logger: Logger = Logger(label: "tally")
    ) {
        self.configuration = configuration
        self.catalog = catalog
        self.logger = logger
        scheme = CounterKeyScheme(
            prefix: configuration.keyPrefix, aliases: catalog.legacyAliases, layout: configuration.keyLayout)
        planner = CounterWritePlanner(catalog: catalog, scheme: scheme)
        let redis = deployment.makeClient(
            pool: .init(maximumConnections: max(1, configuration.maximumRedisConnections)))
        self.redis = redis
        switch configuration.counting {
        case .buffered(let buffering):
            counters = BufferedRedisCounterSink(
                redis: redis, planner: planner, configuration: buffering, logger: logger)
        case .direct:
            counters = DirectRedisCounterSink(redis: redis, planner: planner, logger: logger)
        }
        tracker = Tracker(catalog: catalog, sinks: [counters] + sinks, clock: clock, logger: logger)
        backgroundServices = [counters] + sinks
    }

    /// Runs every background service at once until `requestShutdown()` or cancellation; returns when each has done
    /// its last work. The first error thrown ends the others (each still flushes) and is rethrown.
    public func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for service in backgroundServices {
                group.addTask { try await service.run() }
            }
            do {
                try await group.waitForAll()
            } catch {
                requestShutdown()
                try? await group.waitForAll()
                throw error
            }
        }
    }

    /// Asks every background service to do its last work and return. Returns at once.
    public func requestShutdown() {
        for service in backgroundServices { service.requestShutdown() }
    }
}
