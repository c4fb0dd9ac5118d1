import ArgumentParser
import Foundation
import Hiredis
import InternalEvents
import Logging
import ServiceLifecycle
import ServicePing

/// `tally worker`: the weekly Service Ping worker, until SIGTERM or SIGINT.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run the weekly Service Ping worker: build, store and (with --submit) send the ping on schedule.",
        discussion: """
            The schedule is GitLab's instance-specific weekly time, derived from the instance UUID (printed at start). \
            A week missed while no worker ran is caught up at start. Several workers may run: a Redis lease lets one \
            build each week's ping. Submission is off unless --submit (or TALLY_SUBMIT=1) and a collector URL are given.
            """
    )

    @OptionGroup var options: PingOptions

    @Flag(help: "Submit pings to the collector (default: $TALLY_SUBMIT=1, else off).")
    var submit = false

    @Option(help: "Longest random delay before building, in seconds, to spread instances sharing a schedule.")
    var jitter: Int = 60

    @Flag(help: "Don't build pings at all (GitLab's generation switch).")
    var noGeneration = false

    @Option(
        help:
            "Lifetime of the Redis lease that lets one worker build a week's ping, in seconds; renewed while held, so a killed worker delays the ping by at most this."
    )
    var leaseSeconds = 120

    /// `--submit`, else `TALLY_SUBMIT=1`, else the config file's `submit`, else off.
    var submissionEnabled: Bool {
        if submit { return true }
        if let fromEnvironment = ProcessInfo.processInfo.environment["TALLY_SUBMIT"], !fromEnvironment.isEmpty {
            return fromEnvironment == "1"
        }
        return (try? ConfigFile.settings())??.submit ?? false
    }

    func validate() throws {
        if leaseSeconds < 1 { throw ValidationError("--lease-seconds must be at least 1, got \(leaseSeconds)") }
        if submissionEnabled && options.resolvedCollectorURL == nil {
            throw ValidationError("submission needs a collector: --collector-url URL or TALLY_COLLECTOR_URL")
        }
    }

    func run() async throws {
        let logger = Logger(label: "tally.worker")
        let setup = try await options.setup(command: "worker", logger: logger)
        defer { setup.redis.close() }
        var settings = ServicePingWorker.Configuration()
        let fileGeneration = try ConfigFile.settings()?.generation ?? true
        settings.generationEnabled = !noGeneration && fileGeneration
        settings.submissionEnabled = submissionEnabled
        settings.collectorURL = options.resolvedCollectorURL
        settings.maximumJitter = .seconds(max(0, jitter))
        settings.lockSeconds = leaseSeconds
        let worker = ServicePingWorker(
            builder: setup.builder, database: setup.database, system: setup.system, configuration: settings,
            logger: logger)
        StandardError.print(
            "tally worker: instance \(setup.system.uuid), weekly at \(worker.schedule) (cron, UTC); database \(setup.database.redactedURL)"
        )
        let group = ServiceGroup(
            configuration: .init(services: [worker], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
