import ArgumentParser
import Foundation
import Hiredis
import InternalEvents
import ServicePing

/// `tally metric KEY_PATH`: one metric's value now, and the exact Redis reads behind it.
struct MetricCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metric",
        abstract: "Print one metric's value and the exact Redis commands it reads."
    )

    @Argument(help: "The metric's key path (after time_frame expansion, e.g. counts.x_weekly).")
    var keyPath: String

    @OptionGroup var clock: ClockOptions
    @OptionGroup var redis: RedisOptions
    @OptionGroup var definitions: DefinitionsOptions
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let catalog = try definitions.loadOrExit()
        guard let metric = catalog.metric(keyPath: keyPath) else {
            let close = catalog.metrics.map(\.keyPath).filter { $0.contains(keyPath) || keyPath.contains($0) }.prefix(5)
            StandardError.print(
                "tally metric: no metric \(keyPath)"
                    + (close.isEmpty ? "" : "; did you mean \(close.joined(separator: ", "))?"))
            throw ExitCode.failure
        }
        let client = try redis.client(maximumConnections: 1)
        defer { client.close() }
        let recordedAt = try clock.clock().now()
        let context = PingContext(
            recordedAt: recordedAt, scheme: try redis.scheme(for: catalog),
            system: SystemInfo(uuid: "(not read)"))
        print("\(metric.keyPath): \(metric.description)")
        print("  file:       \(metric.source.file)")
        print(
            "  time frame: \(metric.timeFrame.rawValue), data source \(metric.dataSource.rawValue), status \(metric.status.rawValue)"
        )
        if metric.timeFrame.isTimeFramed {
            let weeks = context.week.completeWeeks(for: metric.timeFrame).map(\.description)
            print(
                "  weeks:      \(weeks.joined(separator: ", ")) (the ping runs in \(context.week), which is never read)"
            )
        }
        switch InstrumentationRegistry().computation(for: metric, context: context) {
        case .redis(let read):
            for command in read.commands { print("  reads:      \(command)") }
            do {
                let replies = try await client.pipeline(read.commands)
                print("  value:      \(try read.value(replies).serialized())")
            } catch {
                print("  value:      -1 (\(error))")
                throw ExitCode.failure
            }
        case .database(let spec):
            let window = DatabaseTimeWindow.bounds(for: metric.timeFrame, at: recordedAt)
            let conditions = spec.conditions.map { "\($0.column) = \($0.value.serialized())" }
            print(
                "  counts:     \(spec.operation.rawValue) of \(spec.column) in \(spec.table), batched over \(spec.batchColumn)"
            )
            if !conditions.isEmpty { print("  where:      \(conditions.joined(separator: " AND "))") }
            if let window {
                let start = JSONValue.formatTimestamp(window.start)
                let end = JSONValue.formatTimestamp(window.end)
                print("  window:     \(spec.timestampColumn) between \(start) and \(end)")
            }
            let configuration = try database.configuration()
            do {
                let value = try await AppDatabase.withDatabase(configuration) { connection in
                    let counter = BatchCounter(database: connection)
                    for statement in counter.statements(for: spec, window: window) {
                        print("  sql:        \(statement.sql)")
                        print("  binds:      \(statement.binds.joined(separator: ", "))")
                    }
                    return try await counter.value(of: spec, window: window)
                }
                print("  value:      \(value.serialized())")
            } catch {
                print("  value:      -1 (\(error))")
                throw ExitCode.failure
            }
        case .value(let value):
            print("  value:      \(value.serialized())")
        case .compute:
            print("  value:      computed by the app's registered instrumentation \(metric.instrumentationClass ?? "")")
        case .failure(let failure):
            print("  value:      \(failure.fallback) (\(failure.message))")
        }
    }
}
