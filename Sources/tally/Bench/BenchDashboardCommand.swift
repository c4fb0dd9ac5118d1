import ArgumentParser
import Foundation
import Logging
import TallyCollector

/// `tally bench dashboard`: the built-in 6-panel `behavior` dashboard over millions of events, its page's render
/// time against the same SQL statements run directly, in the same run, on one warehouse or several one after
/// another (SQLite, PostgreSQL, ClickHouse), with how many times faster each renders than the others.
struct BenchDashboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Render time of a 6-panel dashboard over many events vs its SQL run directly, same run.",
        discussion: """
            Each warehouse (a SQLite file, or with --warehouse-url postgres://… or clickhouse://… a scratch database, \
            dropped after) gets --events structured events over 90 days, generated inside the database. Then, \
            --runs times, the built-in behavior dashboard's page is rendered (its 9 statements on one read-only \
            connection, then the HTML and SVG) and the same statements are run directly on one connection; the \
            report gives medians and their ratio (the overhead of the page, goal ≤ 1.2). Give --warehouse-url \
            several times to measure the warehouses one after another in one run and compare their pages \
            (ClickHouse is expected ≥ 10× faster than PostgreSQL).
            """
    )

    @Option(
        name: .customLong("warehouse-url"),
        help: """
            Warehouse: sqlite (a temporary file; the default), postgres://user:password@host/db or clickhouse://…; \
            repeat it to compare several in one run.
            """
    )
    var warehouseURLs: [String] = []

    @Option(help: "Events in each warehouse.")
    var events = 10_000_000

    @Option(help: "Renders (and direct runs) per warehouse; the report gives medians.")
    var runs = 5

    @Option(help: "The dashboard's date range (7d, 30d, 90d).")
    var range = "30d"

    @Flag(help: "End with one JSON object on the last line.")
    var json = false

    /// The warehouses to measure, in order.
    var warehouses: [String] { warehouseURLs.isEmpty ? ["sqlite"] : warehouseURLs }

    func validate() throws {
        guard events > 0, runs > 0 else { throw ValidationError("--events and --runs must be positive") }
        guard ["7d", "30d", "90d"].contains(range) else { throw ValidationError("--range: 7d, 30d or 90d") }
        for url in warehouses {
            do { try ScratchWarehouse.validate(url) } catch { throw ValidationError("\(error)") }
        }
    }

    /// One warehouse's figures.
    struct Measurement: Encodable {
        var warehouse: String
        var events: Int
        var fillSeconds: Double
        var statements: Int
        var renderSeconds: Double
        var directSeconds: Double
        var ratio: Double
        var runs: Int
    }

    /// How many times faster one warehouse renders the page than another (the ratio of their median renders).
    struct Speedup: Encodable {
        var warehouse: String
        var over: String
        var times: Double
    }

    struct Result: BenchResult {
        var benchmark = "dashboard"
        var range: String
        var warehouses: [Measurement]
        var speedups: [Speedup]
    }

    func run() async throws {
        var measurements: [Measurement] = []
        for url in warehouses { measurements.append(try await measure(url)) }
        let speedups = Self.speedups(measurements)
        if measurements.count > 1 {
            print("summary (range \(range), \(BenchStatistics.grouped(Double(events))) events each):")
            for measurement in measurements {
                print(
                    "  \(measurement.warehouse): page \(String(format: "%.3f", measurement.renderSeconds)) s, SQL alone \(String(format: "%.3f", measurement.directSeconds)) s, fill \(String(format: "%.1f", measurement.fillSeconds)) s"
                )
            }
            for speedup in speedups {
                print(
                    "  \(speedup.warehouse) renders \(String(format: "%.1f", speedup.times))× faster than \(speedup.over)"
                )
            }
        }
        if json { try Result(range: range, warehouses: measurements, speedups: speedups).printJSONLine() }
    }

    /// For each pair of warehouses measured, the faster one's speedup over the slower.
    static func speedups(_ measurements: [Measurement]) -> [Speedup] {
        var speedups: [Speedup] = []
        for (index, first) in measurements.enumerated() {
            for second in measurements[(index + 1)...] where first.renderSeconds > 0 && second.renderSeconds > 0 {
                let (fast, slow) = first.renderSeconds <= second.renderSeconds ? (first, second) : (second, first)
                speedups.append(
                    Speedup(
                        warehouse: fast.warehouse, over: slow.warehouse, times: slow.renderSeconds / fast.renderSeconds)
                )
            }
        }
        return speedups
    }

    /// Fills a scratch warehouse of `url`, renders and runs the page's SQL `runs` times, drops the warehouse.
    private func measure(_ url: String) async throws -> Measurement {
        let quiet = Logger(label: "tally.bench") { _ in SwiftLogNoOpLogHandler() }
        let kind = ScratchWarehouse.kind(url)
        let (events, runs, range) = (self.events, self.runs, self.range)
        let result = try await ScratchWarehouse.with(url, logger: quiet) { warehouse in
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
            return Measurement(
                warehouse: kind, events: events, fillSeconds: fill, statements: statements,
                renderSeconds: median(render), directSeconds: median(direct), ratio: median(render) / median(direct),
                runs: runs)
        }
        print(
            "median: the behavior dashboard (\(result.statements) statements, range \(range)) over \(BenchStatistics.grouped(Double(result.events))) events renders in \(String(format: "%.3f", result.renderSeconds)) s; its SQL alone takes \(String(format: "%.3f", result.directSeconds)) s; ratio \(String(format: "%.3f", result.ratio)) (goal ≤ 1.2) on \(kind)"
        )
        return result
    }
}
