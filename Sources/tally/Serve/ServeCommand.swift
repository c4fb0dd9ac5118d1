import ArgumentParser
import EventRecords
import Foundation
import Hiredis
import Hummingbird
import InternalEvents
import Logging
import ServiceLifecycle
import ServicePing
import TallyServer
import TallyServiceLifecycle

/// `tally serve`: GitLab's usage-data HTTP API on its own, counters in buffered mode, until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve GitLab's /api/v4/usage_data API: browser and backend events into Redis counters.",
        discussion: """
            Callers authenticate with a bearer token (Authorization: Bearer T, or PRIVATE-TOKEN: T). Event tokens \
            may post events and name each event's user with user_id; admin tokens may also read the stored \
            Service Ping. Tokens come from TALLY_API_TOKENS / TALLY_ADMIN_TOKENS (comma-separated; better than \
            --token and --admin-token, which other users can see in the process list) and are never printed.

            Event records (SaaS mode) are off unless --event-records-url (or TALLY_EVENT_RECORDS_URL) names a \
            Snowplow collector; they then need the instance secret in TALLY_INSTANCE_SECRET, which pseudonymizes \
            user ids. Requests with DNT: 1 or Sec-GPC: 1 are counted but never become event records.
            """
    )

    @OptionGroup var redis: RedisOptions
    @OptionGroup var definitions: DefinitionsOptions
    @OptionGroup var database: DatabaseOptions

    @Option(help: "Interface to listen on.")
    var host = "127.0.0.1"

    @Option(help: "TCP port to listen on (0: any free port, printed at start).")
    var port = 8080

    @Option(name: .customLong("token"), help: "An event token (repeatable; default: $TALLY_API_TOKENS).")
    var tokens: [String] = []

    @Option(name: .customLong("admin-token"), help: "An admin token (repeatable; default: $TALLY_ADMIN_TOKENS).")
    var adminTokens: [String] = []

    @Option(help: "Largest request body in bytes; larger ones get 413.")
    var maxBodyBytes = 64 * 1024

    @Flag(help: "Development mode: unknown events and invalid properties get 422 instead of a silent 200.")
    var development = false

    @Option(help: "Snowplow collector base URL for event records (default: $TALLY_EVENT_RECORDS_URL; off if unset).")
    var eventRecordsURL: String?

    @Option(help: "Snowplow app id (aid) of event records.")
    var appID = "tally"

    private static func list(_ values: [String], environment name: String) -> [String] {
        if !values.isEmpty { return values }
        return (ProcessInfo.processInfo.environment[name] ?? "").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }
    }

    var resolvedEventRecordsURL: String? {
        eventRecordsURL
            ?? ProcessInfo.processInfo.environment["TALLY_EVENT_RECORDS_URL"].flatMap {
                $0.isEmpty ? nil : $0
            }
    }

    func validate() throws {
        let accessTokens = AccessTokens(
            eventTokens: Self.list(tokens, environment: "TALLY_API_TOKENS"),
            adminTokens: Self.list(adminTokens, environment: "TALLY_ADMIN_TOKENS"))
        if accessTokens.isEmpty {
            throw ValidationError(
                "tally serve needs at least one token: --token T or TALLY_API_TOKENS (and --admin-token for service_ping)"
            )
        }
        if !(0...65_535).contains(port) { throw ValidationError("--port must be 0…65535, got \(port)") }
        if maxBodyBytes < 1_024 { throw ValidationError("--max-body-bytes must be at least 1024, got \(maxBodyBytes)") }
        if resolvedEventRecordsURL != nil,
            (ProcessInfo.processInfo.environment["TALLY_INSTANCE_SECRET"] ?? "").isEmpty
        {
            throw ValidationError("event records need the instance secret in TALLY_INSTANCE_SECRET")
        }
    }

    func run() async throws {
        let logger = Logger(label: "tally.serve")
        let catalog = try definitions.loadOrExit()
        let metricDefinitions = try MetricDefinitionsDocument(catalog: catalog)
        let client = try redis.client(maximumConnections: 4)
        defer { client.close() }
        let scheme = try redis.scheme(for: catalog)
        let counters = BufferedRedisCounterSink(
            redis: client, planner: CounterWritePlanner(catalog: catalog, scheme: scheme), logger: logger)
        var sinks: [any EventSink] = [counters]
        var services: [any Service] = [counters.service]
        if let collector = resolvedEventRecordsURL {
            let emitter = try await makeEmitter(collector: collector, redis: client, catalog: catalog, logger: logger)
            sinks.append(emitter)
            services.append(emitter.service)
        }
        let tracker = Tracker(catalog: catalog, sinks: sinks, logger: logger)
        let dependencies = TallyServerDependencies(
            tracker: tracker, legacyCounters: LegacyCounterWriter(catalog: catalog, scheme: scheme, redis: client),
            servicePing: StoredServicePing { [database = try database.configuration()] in
                try await RawUsageDataStore.newestPayload(in: database)
            }, metricDefinitions: metricDefinitions,
            services: services)
        let configuration = TallyServerConfiguration(
            host: host, port: port,
            tokens: AccessTokens(
                eventTokens: Self.list(tokens, environment: "TALLY_API_TOKENS"),
                adminTokens: Self.list(adminTokens, environment: "TALLY_ADMIN_TOKENS")),
            api: .init(maximumBodyBytes: maxBodyBytes, strictValidation: development))
        let records =
            resolvedEventRecordsURL.map {
                "event records to \(SnowplowEmitter.Configuration(collectorURL: $0).redactedEndpoint)"
            } ?? "event records off"
        let mode = development ? "development" : "production"
        let app = buildTallyServer(configuration, dependencies: dependencies, logger: logger) { [host] port in
            StandardError.print(
                "tally serve: listening on http://\(host):\(port)/api/v4/usage_data (\(mode) mode, \(records))")
        }
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }

    private func makeEmitter(
        collector: String, redis client: any RedisClient, catalog: DefinitionCatalog, logger: Logger
    ) async throws
        -> SnowplowEmitter
    {
        let secret = ProcessInfo.processInfo.environment["TALLY_INSTANCE_SECRET"] ?? ""
        let uuid: String
        do {
            uuid = try await InstanceIdentity.uuid(redis: client, prefix: redis.resolvedKeyPrefix)
        } catch {
            StandardError.print("tally serve: can't read the instance uuid from Redis: \(error)")
            throw ExitCode.failure
        }
        let system = SystemInfo(uuid: uuid)
        return SnowplowEmitter(
            configuration: .init(collectorURL: collector),
            instance: .init(
                appID: appID, environment: development ? "development" : "production", instanceID: uuid,
                hostName: system.hostname, instanceVersion: system.version),
            pseudonymizer: try Pseudonymizer(secret: secret), catalog: catalog, logger: logger)
    }
}
