import ArgumentParser
import Foundation
import Logging
import TallyCollector

/// `tally bench dashboard`: the built-in 6-panel `behavior` dashboard over millions of events, its page's render
/// time against the same SQL statements run directly, in the same run, on SQLite or PostgreSQL.
struct BenchDashboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Render time of a 6-panel dashboard over many events vs its SQL run directly, same run.",
        discussion: """
            A fresh warehouse (a SQLite file, or with --warehouse-url postgres://… a scratch database) gets --events \
            structured events over 90 days, generated inside the database. Then, --runs times, the built-in behavior \
            dashboard's page is rendered (its 9 statements on one read-only connection, then the HTML and SVG) and \
            the same statements are run directly on one connection; the report gives medians and their ratio \
            (the overhead of the page, goal ≤ 1.2).
            """
    )

    @Option(
        help: "Warehouse server: sqlite (default; a temporary file), postgres://user:password@host/db or clickhouse://…"
    )
    var warehouseURL = "sqlite"

    @Option(help: "Events in the warehouse.")
    var events = 10_000_000

    @Option(help: "Renders (and direct runs); the report gives medians.")
    var runs = 5

    @Option(help: "The dashboard's date range (7d, 30d, 90d).")
    var range = "30d"

    @Flag(help: "End with one JSON object on the last line.")
    var json = false

    func validate() throws {
        guard events > 0, runs > 0 else { throw ValidationError("--events and --runs must be positive") }
        guard ["7d", "30d", "90d"].contains(range) else { throw ValidationError("--range: 7d, 30d or 90d") }
        do { try ScratchWarehouse.validate(warehouseURL) } catch { throw ValidationError("\(error)") }
    }

    struct Result: Encodable {
        var warehouse: String
        var events: Int
        var fillSeconds: Double
        var statements: Int
        var renderSeconds: Double
        var directSeconds: Double
        var ratio: Double
        var runs: Int
    }

    func run() async throws {
        let quiet = Logger(label: "tally.bench") { _ in SwiftLogNoOpLogHandler() }
        let kind = ScratchWarehouse.kind(warehouseURL)
        let (events, runs, range) = (self.events, self.runs, self.range)
        let result = try await ScratchWarehouse.with(warehouseURL, logger: quiet) { warehouse in
            let today = Date()
            print("filling a \(kind) warehouse with \(BenchStatistics.grouped(Double(events))) events…")
            let step = max(events / 10, 1)
            let fill = try await DashboardBenchmark.fill(warehouse, count: events, today: today) { done in
                if done % step < 500_000 || done == events {
                    print("  \(BenchStatistics.grouped(Double(done))) rows")
                }
            }
            print("filled in \(String(format: "%.1f", fill)) s")
            let (render, direct, statements) = try await DashboardBenchmark.measure(
                warehouse, range: range, today: today, runs: runs)
            for (index, (page, sql)) in zip(render, direct).enumerated() {
                print(
                    "run \(index + 1)/\(runs): page \(String(format: "%.3f", page)) s, the same \(statements) statements directly \(String(format: "%.3f", sql)) s, ratio \(String(format: "%.3f", page / sql))"
                )
            }
            let median = BenchStatistics.median
            return Result(
                warehouse: kind, events: events, fillSeconds: fill, statements: statements,
                renderSeconds: median(render), directSeconds: median(direct), ratio: median(render) / median(direct),
                runs: runs)
        }
        print(
            "median: the behavior dashboard (\(result.statements) statements, range \(range)) over \(BenchStatistics.grouped(Double(result.events))) events renders in \(String(format: "%.3f", result.renderSeconds)) s; its SQL alone takes \(String(format: "%.3f", result.directSeconds)) s; ratio \(String(format: "%.3f", result.ratio)) (goal ≤ 1.2) on \(kind)"
        )
        if json {
            let data = try JSONEncoder().encode(result)
            print(String(decoding: data, as: UTF8.self))
        }
    }
}
