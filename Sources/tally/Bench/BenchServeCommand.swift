import ArgumentParser
import Foundation
import Hiredis
import InternalEvents
import Logging
import ServiceLifecycle
import TallyServer
import TallyServiceLifecycle

/// `tally bench serve`: `track_event` requests/s of the standalone server (buffered mode) under `wrk`, beside the
/// `PING` rate of `redis-benchmark -c 50` on the same Redis in the same run.
struct BenchServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "track_event requests/s and latency of tally serve (buffered) vs redis-benchmark PING, same run.",
        discussion: """
            Starts the server in this process on a free loopback port, with bench_event (an all-time total, a weekly \
            total, a weekly unique-users counter) under the key prefix tally:bench:serve: (deleted before and after). \
            wrk (apt-get install wrk) sends keep-alive POSTs with 50 connections; each request names one of --users \
            users. After the run the server stops, its buffer is flushed, and the all-time counter must equal the \
            requests wrk completed, plus at most one in flight per connection. The ceiling is redis-benchmark -c 50 -t ping_mbulk against the same server.
            """
    )

    @OptionGroup var redis: RedisOptions

    @Option(help: "wrk connections (keep-alive).")
    var connections = 50

    @Option(help: "wrk threads.")
    var threads = 2

    @Option(help: "Seconds per run.")
    var duration = 10

    @Option(help: "Distinct user ids in the requests.")
    var users = 10_000

    @Option(help: "Runs; the report gives medians.")
    var runs = 3

    @Flag(help: "End with one JSON object on the last line.")
    var json = false

    static let prefix = "tally:bench:serve:"

    func validate() throws {
        guard connections > 0, threads > 0, duration > 0, users > 0, runs > 0 else {
            throw ValidationError("--connections, --threads, --duration, --users and --runs must be positive")
        }
        guard threads <= connections else { throw ValidationError("--threads can't exceed --connections") }
    }

    func run() async throws {
        guard let wrk = RedisBenchmarkTool.find("wrk") else {
            throw ValidationError("wrk is not on PATH; install it with: apt-get install wrk")
        }
        let redisConfiguration = try redis.configuration()
        let baseline = try RedisBenchmarkTool()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tally-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let catalog = try BenchTrackCommand.catalog(writingTo: folder)
        let document = try MetricDefinitionsDocument(catalog: catalog)
        let pool = RedisConnectionPool(redis: redisConfiguration, configuration: .init(maximumConnections: 1))
        defer { pool.close() }
        let scheme = CounterKeyScheme(prefix: Self.prefix)
        let totalKey = Self.prefix + "{event_counters}_bench_event"

        var served: [Double] = []
        var pings: [Double] = []
        var p50s: [Double] = []
        var p99s: [Double] = []
        for run in 1...runs {
            _ = try await pool.send(.del([totalKey]))
            let result = try await serveRun(
                wrk: wrk, catalog: catalog, document: document, scheme: scheme, redis: redisConfiguration)
            let counted = try await pool.send(.get(totalKey)).optionalIntegerString() ?? 0
            // wrk stops counting at the deadline with up to one request per connection still in flight; the
            // server answers (and counts) those too.
            guard result.errors == 0, (result.requests...(result.requests + connections)).contains(Int(counted)) else {
                throw WrkResult.Failure(
                    description:
                        "run \(run): wrk completed \(result.requests) requests (\(result.errors) errors), Redis counted \(counted)"
                )
            }
            let ping = try await baseline.requestsPerSecond(
                redisConfiguration,
                arguments: ["-c", String(connections), "-n", "1000000", "-t", "ping_mbulk"])
            served.append(result.requestsPerSecond)
            pings.append(ping)
            p50s.append(result.p50Milliseconds)
            p99s.append(result.p99Milliseconds)
            print(
                "run \(run)/\(runs): track_event \(BenchStatistics.grouped(result.requestsPerSecond)) req/s (p50 \(result.p50Milliseconds) ms, p99 \(result.p99Milliseconds) ms; \(result.requests) answered, \(counted) counted), redis-benchmark PING \(BenchStatistics.grouped(ping)) req/s"
            )
        }
        _ = try await pool.send(.del(try await benchKeys(pool)))
        let median = BenchStatistics.median
        let summary = Result(
            trackEventRequestsPerSec: median(served), redisPingRequestsPerSec: median(pings),
            ratio: median(zip(served, pings).map { $0 / $1 }), p50Ms: median(p50s), p99Ms: median(p99s),
            connections: connections, durationSeconds: duration, runs: runs)
        print(
            "median: track_event \(BenchStatistics.grouped(summary.trackEventRequestsPerSec)) req/s = \(String(format: "%.3f", summary.ratio)) × redis-benchmark PING (\(BenchStatistics.grouped(summary.redisPingRequestsPerSec)) req/s); p50 \(summary.p50Ms) ms, p99 \(summary.p99Ms) ms"
        )
        if json { try summary.printJSONLine() }
    }

    /// One run: the server up on a free port, wrk against it, the server stopped (flushing its buffer).
    private func serveRun(
        wrk: String, catalog: DefinitionCatalog, document: MetricDefinitionsDocument, scheme: CounterKeyScheme,
        redis: RedisConfiguration
    ) async throws -> WrkResult {
        let quiet = Logger(label: "tally.bench") { _ in SwiftLogNoOpLogHandler() }
        let sink = BufferedRedisCounterSink(
            redis: redis, planner: CounterWritePlanner(catalog: catalog, scheme: scheme), logger: quiet)
        let dependencies = TallyServerDependencies(
            tracker: Tracker(catalog: catalog, sinks: [sink], logger: quiet), metricDefinitions: document,
            services: [sink.service])
        let token = UUID().uuidString
        let configuration = TallyServerConfiguration(port: 0, tokens: AccessTokens(eventTokens: [token]))
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = buildTallyServer(configuration, dependencies: dependencies, logger: quiet) { port in
            portContinuation.yield(port)
        }
        return try await withThrowingTaskGroup(of: WrkResult?.self) { group in
            let serviceGroup = ServiceGroup(
                configuration: .init(services: [app], logger: quiet))
            group.addTask {
                try await serviceGroup.run()
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                throw WrkResult.Failure(description: "the server did not start")
            }
            let result = try await WrkResult.run(
                wrk: wrk, url: "http://127.0.0.1:\(port)/api/v4/usage_data/track_event", token: token,
                users: users, threads: threads, connections: connections, duration: duration)
            await serviceGroup.triggerGracefulShutdown()
            for try await _ in group {}
            return result
        }
    }

    private func benchKeys(_ pool: RedisConnectionPool) async throws -> [any RedisArgumentConvertible] {
        let reply = try await pool.send(RedisCommand("KEYS", arguments: [Self.prefix + "*"]))
        return try reply.array().map { try $0.string() }
    }

    struct Result: BenchResult {
        var benchmark = "serve"
        var trackEventRequestsPerSec: Double
        var redisPingRequestsPerSec: Double
        var ratio: Double
        var p50Ms: Double
        var p99Ms: Double
        var connections: Int
        var durationSeconds: Int
        var runs: Int
    }
}
