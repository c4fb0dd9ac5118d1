import ArgumentParser
import Foundation
import Hiredis
import InternalEvents
import Logging
import ServicePing

/// `tally ping`: builds a Service Ping now and prints it (GitLab's "preview payload").
struct PingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ping",
        abstract: "Build a Service Ping now and print its payload (stored with --store, sent with --submit).",
        discussion: """
            7d metrics read the last complete ISO week before the ping, 28d metrics the last four; the current week is \
            never read. Database metrics count in the app database (7d: created 9 to 2 days ago, 28d: 30 to 2 days ago). \
            Nothing leaves the machine unless --submit is given with a collector URL. An instance that can't reach \
            a collector exports its stored pings with --export FILE; tally collect import FILE loads them into the \
            warehouse, each ping once however often the file is imported.
            """
    )

    @OptionGroup var clock: ClockOptions
    @OptionGroup var options: PingOptions

    @Flag(help: "Print GitLab's metadata document (per-metric time and error) after the payload.")
    var metadata = false

    @Flag(help: "One line of JSON instead of indented.")
    var compact = false

    @Flag(help: "Store the ping in the raw_usage_data table (once per recorded_at).")
    var store = false

    @Flag(help: "Store the ping, then submit it to the collector (GitLab's protocol).")
    var submit = false

    @Option(
        help: ArgumentHelp(
            "Build nothing: write the pings stored in raw_usage_data to FILE, one JSON payload per line (- for standard output).",
            valueName: "file"))
    var export: String?

    @Flag(help: "With --export: only pings never submitted to a collector.")
    var unsent = false

    func validate() throws {
        if export != nil && (store || submit) {
            throw ValidationError("--export builds no ping: drop --store/--submit")
        }
        if unsent && export == nil { throw ValidationError("--unsent goes with --export FILE") }
        if submit && options.resolvedCollectorURL == nil {
            throw ValidationError("--submit needs a collector: --collector-url URL or TALLY_COLLECTOR_URL")
        }
    }

    func run() async throws {
        if let export {
            try await PingExport(file: export, unsentOnly: unsent).run(database: try options.database.configuration())
            return
        }
        let recordedAt = try clock.clock().now()
        let setup = try await options.setup(command: "ping", logger: Logger(label: "tally.ping"))
        defer { setup.redis.close() }
        let (builder, system, databaseConfiguration) = (setup.builder, setup.system, setup.database)
        let report = await builder.build(recordedAt: recordedAt, system: system)
        print(report.payload.serialized(pretty: !compact))
        if metadata { print(report.metadata.serialized(pretty: !compact)) }
        let failed = report.metrics.filter { $0.error != nil }
        if !failed.isEmpty {
            StandardError.print("\(failed.count) of \(report.metrics.count) metrics fell back to -1/-2:")
            for metric in failed { StandardError.print("  \(metric.name): \(metric.error ?? "")") }
        }
        if store || submit { try await storeAndSubmit(report, system: system, database: databaseConfiguration) }
    }

    private func storeAndSubmit(
        _ report: ServicePingReport, system: SystemInfo, database: DatabaseConfiguration
    ) async throws {
        let payload = report.payload.serialized()
        let added = try await AppDatabase.withDatabase(database) { connection in
            let rows = RawUsageDataStore(connection)
            try await rows.migrate()
            return try await rows.insert(recordedAt: report.recordedAt, payload: payload)
        }
        StandardError.print(
            added
                ? "stored in raw_usage_data (\(database.redactedURL))"
                : "a ping recorded at that time is already stored")
        guard submit, let collector = options.resolvedCollectorURL else { return }
        let client = ServicePingSubmitter.makeClient()
        do {
            let id = try await ServicePingSubmitter(baseURL: collector, client: client).submit(report, system: system)
            try await client.shutdown()
            try await AppDatabase.withDatabase(database) { connection in
                try await RawUsageDataStore(connection).markSent(recordedAt: report.recordedAt, usageDataID: id)
            }
            StandardError.print("submitted to \(collector): usage_data_id \(id)")
        } catch {
            try? await client.shutdown()
            StandardError.print("tally ping: submission failed: \(error)")
            throw ExitCode.failure
        }
    }
}
