import ArgumentParser
import Foundation
import Hummingbird
import InternalEvents
import Logging
import TallyCollector

/// `tally collect`: receive Service Pings from many instances into the warehouse, until SIGTERM or SIGINT.
struct CollectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collect",
        abstract: "Receive Service Pings and event records from many instances into a SQL warehouse.",
        discussion: """
            Point a worker at it with --collector-url http://HOST:PORT (tally worker --submit, tally ping --submit) \
            or a GitLab instance's version-app URL. Pings land in the pings table and, one row per numeric metric, \
            in ping_metrics (view fct_ping_instance_metric); ask with tally query. A ping already stored (same \
            uuid and recorded_at) is answered with its id and not stored again. A warehouse that can't store \
            answers 503, so senders keep their ping and retry.

            Trackers send event records to /com.snowplowanalytics.snowplow/tp2 (and the /i pixel): they land in \
            the events table (view mart_behavior_structured_event), once per event id; what can't be taken is \
            kept in bad_rows with its reason. tally collect import FILE loads pings an offline instance exported.

            The same port serves the pages: /events, /metrics, /instances, /dashboards (built-in ones and the \
            GitLab-format dashboards of --dashboards) and /dictionary (the metric definitions of --definitions, \
            else $TALLY_DEFINITIONS), each panel exportable as CSV.
            """,
        subcommands: [CollectImportCommand.self]
    )

    @OptionGroup var warehouse: WarehouseOptions

    @Option(help: "Interface to listen on.")
    var host = "127.0.0.1"

    @Option(help: "TCP port to listen on (0: any free port, printed at start).")
    var port = 9090

    @Option(help: "Largest ping body in bytes; larger ones get 413.")
    var maxBodyBytes = 16 * 1024 * 1024

    @Option(help: "Largest tracker body (tp2) in bytes; larger ones get 413 and a bad row.")
    var maxEventBodyBytes = 1024 * 1024

    @Option(help: "Most events in one tp2 request; a larger batch is one bad row.")
    var maxEventsPerRequest = 1_000

    @Option(
        name: .customLong("definitions"),
        help: "Definition folder for the metrics dictionary page (repeatable; default: $TALLY_DEFINITIONS, if set).")
    var definitionFolders: [String] = []

    @Option(
        help:
            "GitLab-format dashboards folder (.gitlab/analytics/dashboards, or a repository holding one) for /dashboards."
    )
    var dashboards: String?

    /// The built-in dashboards and those of --dashboards; on a bad file prints every problem and exits 1.
    func dashboardCatalog() throws -> DashboardCatalog {
        do {
            return try DashboardCatalog(folder: dashboards.map { URL(fileURLWithPath: $0) })
        } catch {
            for issue in error.issues { StandardError.print(issue.description) }
            StandardError.print("tally collect: \(error.issues.count) problem(s) in --dashboards")
            throw ExitCode.failure
        }
    }

    /// The folders the dictionary reads: the option, else `TALLY_DEFINITIONS`, else none.
    var resolvedDefinitionFolders: [String] {
        if !definitionFolders.isEmpty { return definitionFolders }
        let fromEnvironment = ProcessInfo.processInfo.environment["TALLY_DEFINITIONS"] ?? ""
        return fromEnvironment.split(separator: ":").map(String.init)
    }

    /// The metric definitions for the dictionary; on failure prints the diagnostics and exits 1.
    func metricDefinitions() throws -> [MetricDefinition] {
        let folders = resolvedDefinitionFolders
        guard !folders.isEmpty else { return [] }
        do {
            let loader = DefinitionLoader(options: .init(allowsUndefinedEvents: true))
            return try loader.load(
                from: folders.map { URL(fileURLWithPath: $0) }, cache: DefinitionCache.standard()
            ).metrics
        } catch {
            let report = DiagnosticReport(diagnostics: error.diagnostics, verbose: false)
            for line in report.lines { StandardError.print(line) }
            StandardError.print("tally collect: \(report.errors.count) error(s) in --definitions")
            throw ExitCode.failure
        }
    }

    func validate() throws {
        if !(0...65_535).contains(port) { throw ValidationError("--port must be 0…65535, got \(port)") }
        if maxBodyBytes < 1_024 { throw ValidationError("--max-body-bytes must be at least 1024, got \(maxBodyBytes)") }
        if maxEventBodyBytes < 1_024 {
            throw ValidationError("--max-event-body-bytes must be at least 1024, got \(maxEventBodyBytes)")
        }
        if maxEventsPerRequest < 1 {
            throw ValidationError("--max-events-per-request must be at least 1, got \(maxEventsPerRequest)")
        }
        _ = try warehouse.warehouse()
    }

    func run() async throws {
        let logger = Logger(label: "tally.collect")
        let metrics = try metricDefinitions()
        let catalog = try dashboardCatalog()
        let store = try warehouse.warehouse()
        do {
            try await store.migrate()
        } catch {
            StandardError.print(
                "tally collect: can't prepare the warehouse \(store.configuration.redactedURL): \(error)")
            throw ExitCode.failure
        }
        let configuration = CollectorConfiguration(
            host: host, port: port, maximumBodyBytes: maxBodyBytes, maximumEventBodyBytes: maxEventBodyBytes,
            maximumEventsPerRequest: maxEventsPerRequest, metricDefinitions: metrics,
            dashboards: catalog)
        let app = buildCollector(configuration, warehouse: store, logger: logger) {
            [host, url = store.configuration.redactedURL] port in
            StandardError.print("tally collect: listening on http://\(host):\(port) (warehouse \(url))")
        }
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }
}
