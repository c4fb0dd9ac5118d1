import ArgumentParser
import Foundation
import Hiredis
import ServicePing

/// `tally ping`: builds a Service Ping now and prints it (GitLab's "preview payload").
struct PingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ping",
        abstract: "Build a Service Ping now and print its payload (nothing is stored or sent).",
        discussion: """
            7d metrics read the last complete ISO week before the ping, 28d metrics the last four; the current week is
            never read. Database metrics and submission arrive with the rest of the Service Ping work.
            """
    )

    @OptionGroup var clock: ClockOptions
    @OptionGroup var redis: RedisOptions
    @OptionGroup var definitions: DefinitionsOptions

    @Flag(help: "Print GitLab's metadata document (per-metric time and error) after the payload.")
    var metadata = false

    @Flag(help: "Leave out metrics of data_category optional.")
    var withoutOptional = false

    @Flag(help: "One line of JSON instead of indented.")
    var compact = false

    func run() async throws {
        let catalog = try definitions.loadOrExit()
        let pool = RedisConnectionPool(redis: try redis.configuration(), configuration: .init(maximumConnections: 2))
        defer { pool.close() }
        let recordedAt = try clock.clock().now()
        let uuid: String
        do {
            uuid = try await InstanceIdentity.uuid(pool: pool)
        } catch {
            StandardError.print("tally ping: can't read the instance uuid from Redis: \(error)")
            throw ExitCode.failure
        }
        let builder = ServicePingBuilder(
            catalog: catalog, pool: pool, settings: .init(includesOptionalMetrics: !withoutOptional))
        let report = await builder.build(recordedAt: recordedAt, system: SystemInfo(uuid: uuid))
        print(report.payload.serialized(pretty: !compact))
        if metadata { print(report.metadata.serialized(pretty: !compact)) }
        let failed = report.metrics.filter { $0.error != nil }
        if !failed.isEmpty {
            StandardError.print("\(failed.count) of \(report.metrics.count) metrics fell back to -1/-2:")
            for metric in failed { StandardError.print("  \(metric.name): \(metric.error ?? "")") }
        }
    }
}
