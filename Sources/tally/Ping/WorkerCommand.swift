import ArgumentParser
import Foundation
import Hiredis
import Logging
import ServiceLifecycle
import ServicePing

/// `tally worker`: the weekly Service Ping worker, until SIGTERM or SIGINT.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run the weekly Service Ping worker: build, store and (with --submit) send the ping on schedule.",
        discussion: """
            The schedule is GitLab's instance-specific weekly time, derived from the instance UUID (printed at start).
            A week missed while no worker ran is caught up at start. Several workers may run: a Redis lock lets one
            build each week's ping. Submission is off unless --submit (or TALLY_SUBMIT=1) and a collector URL are given.
            """
    )

    @OptionGroup var redis: RedisOptions
    @OptionGroup var definitions: DefinitionsOptions
    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Submit pings to the collector (default: $TALLY_SUBMIT=1, else off).")
    var submit = false

    @Option(help: "Collector base URL (default: $TALLY_COLLECTOR_URL).")
    var collectorURL: String?

    @Flag(help: "Don't build pings at all (GitLab's generation switch).")
    var noGeneration = false

    @Flag(help: "Leave out metrics of data_category optional.")
    var withoutOptional = false

    var submissionEnabled: Bool { submit || ProcessInfo.processInfo.environment["TALLY_SUBMIT"] == "1" }

    var resolvedCollectorURL: String? {
        collectorURL ?? ProcessInfo.processInfo.environment["TALLY_COLLECTOR_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    func validate() throws {
        if submissionEnabled && resolvedCollectorURL == nil {
            throw ValidationError("submission needs a collector: --collector-url URL or TALLY_COLLECTOR_URL")
        }
    }

    func run() async throws {
        let logger = Logger(label: "tally.worker")
        let catalog = try definitions.loadOrExit()
        let pool = RedisConnectionPool(redis: try redis.configuration(), configuration: .init(maximumConnections: 2))
        defer { pool.close() }
        let uuid: String
        do {
            uuid = try await InstanceIdentity.uuid(pool: pool)
        } catch {
            StandardError.print("tally worker: can't read the instance uuid from Redis: \(error)")
            throw ExitCode.failure
        }
        let databaseConfiguration = try database.configuration()
        let builder = ServicePingBuilder(
            catalog: catalog, pool: pool, database: databaseConfiguration,
            settings: .init(includesOptionalMetrics: !withoutOptional), logger: logger)
        var settings = ServicePingWorker.Configuration()
        settings.generationEnabled = !noGeneration
        settings.submissionEnabled = submissionEnabled
        settings.collectorURL = resolvedCollectorURL
        let worker = ServicePingWorker(
            builder: builder, database: databaseConfiguration, system: SystemInfo(uuid: uuid), configuration: settings,
            logger: logger)
        print(
            "tally worker: instance \(uuid), weekly at \(worker.schedule) (cron, UTC); database \(databaseConfiguration.redactedURL)"
        )
        let group = ServiceGroup(
            configuration: .init(services: [worker], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
