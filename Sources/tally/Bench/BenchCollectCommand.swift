import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import SQLKit
import ServiceLifecycle
import ServicePing
import TallyCollector

/// `tally bench collect`: structured events/s that `tally collect` takes and stores (tp2 batches over keep-alive
/// connections, from wrk), against the same rows bulk-inserted straight into the same kind of database in the same
/// run; then pings of many metrics ingested, with the time.
struct BenchCollectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collect",
        abstract: "Events/s tally collect stores vs a bulk INSERT of the same rows; then pings ingested, same run.",
        discussion: """
            Each run gets a fresh warehouse: a SQLite file in a temporary folder, or with --warehouse-url \
            postgres://… a scratch database created on that server (the user needs CREATEDB) and dropped after. \
            The collector runs in this process on a free loopback port; wrk (apt-get install wrk) posts batches of \
            --batch-size structured events (each with a gitlab_standard context) for --duration seconds. Every \
            event wrk saw acknowledged must be in the warehouse, with no bad row. The baseline inserts as many \
            rows into another fresh warehouse with multi-row INSERTs in transactions of 10,000. Then --pings pings \
            of --metrics metrics each are posted to /usage_data over --ping-connections connections.
            """
    )

    @Option(
        help: "Warehouse server: sqlite (default; temporary files), postgres://user:password@host/db or clickhouse://…")
    var warehouseURL = "sqlite"

    @Option(help: "wrk connections (keep-alive).")
    var connections = 8

    @Option(help: "wrk threads.")
    var threads = 2

    @Option(help: "Seconds per run.")
    var duration = 10

    @Option(help: "Events per tp2 request.")
    var batchSize = 100

    @Option(help: "Runs; the report gives medians.")
    var runs = 3

    @Option(help: "Pings to ingest after the runs (0: skip).")
    var pings = 10_000

    @Option(help: "Numeric metrics per ping.")
    var metrics = 1_000

    @Option(help: "Concurrent ping senders.")
    var pingConnections = 4

    @Flag(help: "End with one JSON object on the last line.")
    var json = false

    func validate() throws {
        guard connections > 0, threads > 0, duration > 0, batchSize > 0, runs > 0, pings >= 0, metrics > 0,
            pingConnections > 0
        else { throw ValidationError("every count must be positive (--pings may be 0)") }
        guard threads <= connections else { throw ValidationError("--threads can't exceed --connections") }
        guard batchSize <= 1_000 else { throw ValidationError("--batch-size is at most 1000 (the collector's limit)") }
        do { try ScratchWarehouse.validate(warehouseURL) } catch { throw ValidationError("\(error)") }
    }

    static let quiet = Logger(label: "tally.bench") { _ in SwiftLogNoOpLogHandler() }

    func run() async throws {
        guard let wrk = RedisBenchmarkTool.find("wrk") else {
            throw ValidationError("wrk is not on PATH; install it with: apt-get install wrk")
        }
        var collected: [Double] = []
        var bulk: [Double] = []
        var p99s: [Double] = []
        for run in 1...runs {
            let (events, seconds, p99) = try await withScratchWarehouse { warehouse in
                try await collectorRun(wrk: wrk, warehouse: warehouse)
            }
            let baselineSeconds = try await withScratchWarehouse { warehouse in
                try await WarehouseBenchmark.bulkInsert(count: events, into: warehouse)
            }
            let rate = Double(events) / seconds
            let baseline = Double(events) / baselineSeconds
            collected.append(rate)
            bulk.append(baseline)
            p99s.append(p99)
            print(
                "run \(run)/\(runs): tally collect stored \(events) events in \(duration) s = \(BenchStatistics.grouped(rate)) events/s (p99 \(p99) ms per batch of \(batchSize)); bulk INSERT of the same rows \(BenchStatistics.grouped(baseline)) rows/s; ratio \(String(format: "%.3f", rate / baseline))"
            )
        }
        let median = BenchStatistics.median
        var summary = Result(
            warehouse: ScratchWarehouse.kind(warehouseURL),
            collectEventsPerSec: median(collected), bulkInsertRowsPerSec: median(bulk),
            ratio: median(zip(collected, bulk).map { $0 / $1 }), p99Ms: median(p99s), batchSize: batchSize,
            connections: connections, durationSeconds: duration, runs: runs, pings: pings, metricsPerPing: metrics,
            pingSeconds: nil)
        print(
            "median: tally collect \(BenchStatistics.grouped(summary.collectEventsPerSec)) events/s = \(String(format: "%.3f", summary.ratio)) × bulk INSERT (\(BenchStatistics.grouped(summary.bulkInsertRowsPerSec)) rows/s) on \(summary.warehouse)"
        )
        if pings > 0 {
            let seconds = try await withScratchWarehouse { warehouse in try await pingRun(warehouse: warehouse) }
            summary.pingSeconds = seconds
            print(
                "pings: \(pings) pings of \(metrics) metrics (\(BenchStatistics.grouped(Double(pings * metrics))) metric rows) ingested in \(String(format: "%.1f", seconds)) s = \(BenchStatistics.grouped(Double(pings) / seconds)) pings/s"
            )
        }
        if json { try summary.printJSONLine() }
    }

    /// One run: the collector up, wrk posting batches, the collector stopped; the events stored and checked.
    private func collectorRun(wrk: String, warehouse: Warehouse) async throws -> (Int, Double, Double) {
        let result = try await withCollector(warehouse) { port in
            try await WrkResult.run(
                wrk: wrk, url: "http://127.0.0.1:\(port)/com.snowplowanalytics.snowplow/tp2", threads: threads,
                connections: connections, duration: duration, script: Self.script(batchSize: batchSize))
        }
        let stored = try await count("events", in: warehouse)
        let bad = try await count("bad_rows", in: warehouse)
        let acknowledged = result.requests * batchSize
        // wrk stops counting at the deadline with up to one request per connection in flight; those are stored too.
        guard result.errors == 0, bad == 0, (acknowledged...(acknowledged + connections * batchSize)).contains(stored)
        else {
            throw WrkResult.Failure(
                description:
                    "wrk saw \(result.requests) batches acknowledged (\(result.errors) errors); the warehouse holds \(stored) events and \(bad) bad rows"
            )
        }
        return (stored, Double(duration), result.p99Milliseconds)
    }

    /// Posts the pings over `pingConnections` keep-alive connections; returns the seconds it took.
    private func pingRun(warehouse: Warehouse) async throws -> Double {
        let (pings, metrics, senders) = (self.pings, self.metrics, pingConnections)
        let start = Date(timeIntervalSince1970: 1_735_689_600)  // 2025-01-01
        let bodies = (0..<pings).map { index in
            WarehouseBenchmark.ping(
                instance: index % 1_000, metrics: metrics, recordedAt: start.addingTimeInterval(Double(index) * 60))
        }
        let clock = ContinuousClock()
        let started = clock.now
        try await withCollector(warehouse) { port in
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            do {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for sender in 0..<senders {
                        group.addTask {
                            for index in stride(from: sender, to: pings, by: senders) {
                                var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/usage_data")
                                request.method = .POST
                                request.headers.add(name: "Content-Type", value: "application/json")
                                request.body = .bytes(ByteBuffer(string: bodies[index]))
                                let response = try await client.execute(request, timeout: .seconds(60))
                                _ = try await response.body.collect(upTo: 1 << 20)
                                guard response.status.code == 201 else {
                                    throw WrkResult.Failure(description: "ping \(index) answered \(response.status)")
                                }
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                try await client.shutdown()
            } catch {
                try? await client.shutdown()
                throw error
            }
        }
        let elapsed = clock.now - started
        let stored = try await count("pings", in: warehouse)
        let rows = try await count("ping_metrics", in: warehouse)
        guard stored == pings, rows == pings * metrics else {
            throw WrkResult.Failure(description: "the warehouse holds \(stored) pings and \(rows) metric rows")
        }
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// Runs the collector in this process on a free port for `body`, then stops it.
    private func withCollector<Result: Sendable>(
        _ warehouse: Warehouse, _ body: @escaping @Sendable (Int) async throws -> Result
    ) async throws -> Result {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = buildCollector(.init(port: 0), warehouse: warehouse, logger: Self.quiet) { port in
            continuation.yield(port)
        }
        let serviceGroup = ServiceGroup(configuration: .init(services: [app], logger: Self.quiet))
        return try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask {
                try await serviceGroup.run()
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                throw WrkResult.Failure(description: "the collector did not start")
            }
            let result: Result
            do {
                result = try await body(port)
            } catch {
                await serviceGroup.triggerGracefulShutdown()
                throw error
            }
            await serviceGroup.triggerGracefulShutdown()
            for try await _ in group {}
            return result
        }
    }

    /// A fresh, migrated warehouse for `body` (`ScratchWarehouse`).
    private func withScratchWarehouse<Result: Sendable>(
        _ body: (Warehouse) async throws -> Result
    ) async throws -> Result {
        try await ScratchWarehouse.with(warehouseURL, logger: Self.quiet, body)
    }

    private func count(_ table: String, in warehouse: Warehouse) async throws -> Int {
        let result = try await warehouse.query("SELECT count(*) AS n FROM \(table)")
        guard case .integer(let value)? = result.rows.first?.first else { return -1 }
        return Int(value)
    }

    /// wrk's Lua: each request a tp2 batch of `batchSize` structured events with ids unique per thread and request.
    static func script(batchSize: Int) -> String {
        """
        local counter = 0
        local threads = 0
        setup = function(thread)
          thread:set("tid", threads)
          threads = threads + 1
        end
        wrk.method = "POST"
        wrk.headers["Content-Type"] = "application/json"
        local cx = "\(WarehouseBenchmark.contexts)"
        request = function()
          local now = string.format("%d", os.time() * 1000)
          local parts = {}
          for i = 1, \(batchSize) do
            counter = counter + 1
            parts[i] = '{"e":"se","p":"srv","tv":"bench-1","aid":"tally-bench","se_ca":"InternalEventTracking",'
              .. '"se_ac":"feature_used","eid":"' .. string.format("%08x-0000-4000-8000-%012x", tid, counter)
              .. '","dtm":"' .. now .. '","stm":"' .. now .. '","cx":"' .. cx .. '"}'
          end
          return wrk.format(nil, nil, nil,
            '{"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4","data":['
            .. table.concat(parts, ",") .. ']}')
        end
        """
    }

    struct Result: BenchResult {
        var benchmark = "collect"
        var warehouse: String
        var collectEventsPerSec: Double
        var bulkInsertRowsPerSec: Double
        var ratio: Double
        var p99Ms: Double
        var batchSize: Int
        var connections: Int
        var durationSeconds: Int
        var runs: Int
        var pings: Int
        var metricsPerPing: Int
        var pingSeconds: Double?
    }
}
