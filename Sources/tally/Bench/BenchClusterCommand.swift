import ArgumentParser
import Foundation
import Hiredis
import InternalEvents
import Logging

/// `tally bench cluster`: the cluster client against `redis-benchmark --cluster`, and buffered tracking on the
/// cluster against one server, in the same run.
struct BenchClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Redis Cluster: pipelined INCRs vs redis-benchmark --cluster, buffered tracking vs one server.",
        discussion: """
            (1) Pipelined INCRs through RedisClusterClient, one task and key per master, --pipeline commands per \
            call, against redis-benchmark --cluster -c <masters> -P <pipeline> -t incr on the same cluster. \
            (2) Buffered tracking of --events events (bench_event: an all-time total, a weekly total, weekly unique \
            users), timed until the final flush is confirmed, on the cluster and on the server of --single-url; \
            totals are checked exact. Keys live under tally:bench: (deleted before and after); use servers of your \
            own, not production.
            """
    )

    @OptionGroup var redis: RedisOptions

    @Option(help: "A single Redis server for (2)'s baseline (redis://…).")
    var singleURL: String

    @Option(
        help: """
            INCR commands per side and run in (1). Enough for several seconds a run: redis-benchmark reports whole \
            milliseconds, so a run under a second gives a coarse figure (1,331,558 or 1,992,032/s for 1,000,000).
            """)
    var requests = 10_000_000

    @Option(help: "Commands per pipeline and master in (1) (redis-benchmark -P).")
    var pipeline = 64

    @Option(help: "Events per deployment and run in (2).")
    var events = 1_000_000

    @Option(help: "Runs; the report gives medians.")
    var runs = 3

    @Flag(help: "End with one JSON object on the last line.")
    var json = false

    func validate() throws {
        guard requests > 0, pipeline > 0, events > 0, runs > 0 else {
            throw ValidationError("--requests, --pipeline, --events and --runs must be positive")
        }
    }

    func run() async throws {
        guard case .cluster(let clusterConfiguration) = try redis.deployment() else {
            throw ValidationError("give the cluster as --redis-url redis+cluster://host:port,…")
        }
        let single = try RedisConfiguration(url: singleURL)
        let baseline = try RedisBenchmarkTool()
        let client = RedisClusterClient(configuration: clusterConfiguration)
        defer { client.close() }
        let topology = try await client.refreshTopology()
        // One key per master, in a slot that master serves.
        let keys: [String] = topology.masters.compactMap { master in
            (0..<RedisClusterSlot.count).lazy.map(RedisClusterSlot.init).first { topology.master(for: $0) == master }
                .map { "tally:bench:incr:{\($0.hashTag)}" }
        }
        var incrRatios: [Double] = []
        var ours: [Double] = []
        var theirs: [Double] = []
        var trackRatios: [Double] = []
        var onCluster: [Double] = []
        var onSingle: [Double] = []
        for run in 1...runs {
            _ = try await client.pipeline(keys.map { .del([$0]) })
            let tally = try await incrThroughput(client, keys: keys)
            let first = clusterConfiguration.seeds[0]
            let reference = try await baseline.requestsPerSecond(
                RedisConfiguration(endpoint: .tcp(host: first.host, port: first.port)),
                arguments: [
                    "--cluster", "-P", String(pipeline), "-c", String(keys.count), "-n", String(requests), "-t", "incr",
                ])
            ours.append(tally)
            theirs.append(reference)
            incrRatios.append(tally / reference)
            let cluster = try await bufferedThroughput(RedisClusterClient(configuration: clusterConfiguration))
            let server = try await bufferedThroughput(RedisConnectionPool(redis: single))
            onCluster.append(cluster)
            onSingle.append(server)
            trackRatios.append(cluster / server)
            print(
                "run \(run)/\(runs): INCR tally \(BenchStatistics.grouped(tally))/s, redis-benchmark --cluster \(BenchStatistics.grouped(reference))/s, ratio \(String(format: "%.3f", tally / reference)); buffered events cluster \(BenchStatistics.grouped(cluster))/s, one server \(BenchStatistics.grouped(server))/s, ratio \(String(format: "%.3f", cluster / server))"
            )
        }
        _ = try await client.pipeline(keys.map { .del([$0]) })
        let result = Result(
            masters: keys.count, requests: requests, pipeline: pipeline, events: events, runs: runs,
            tallyIncrPerSec: BenchStatistics.median(ours), redisBenchmarkIncrPerSec: BenchStatistics.median(theirs),
            incrRatio: BenchStatistics.median(incrRatios),
            bufferedClusterEventsPerSec: BenchStatistics.median(onCluster),
            bufferedSingleEventsPerSec: BenchStatistics.median(onSingle),
            bufferedRatio: BenchStatistics.median(trackRatios))
        print(
            "median: INCR ratio \(String(format: "%.3f", result.incrRatio)) (goal ≥ 0.8), buffered cluster/one server \(String(format: "%.3f", result.bufferedRatio)) (goal ≥ 0.8)"
        )
        if json { try result.printJSONLine() }
    }

    /// INCRs per second through the cluster client from one task per master (as redis-benchmark runs one client per
    /// master), each sending pipelines of `pipeline` INCRs of its own key; checks the counters add up to exactly
    /// `requests`.
    private func incrThroughput(_ client: RedisClusterClient, keys: [String]) async throws -> Double {
        let depth = pipeline
        let share = requests / keys.count
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, key) in keys.enumerated() {
                let count = index == 0 ? requests - share * (keys.count - 1) : share
                group.addTask {
                    let batch = Array(repeating: RedisCommand.incr(key), count: depth)
                    var sent = 0
                    while sent < count {
                        let size = min(depth, count - sent)
                        _ = try await client.pipeline(size == depth ? batch : Array(batch.prefix(size)))
                        sent += size
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = ContinuousClock.now - start
        var total: Int64 = 0
        for reply in try await client.pipeline(keys.map { .get($0) }) {
            total += try reply.optionalIntegerString() ?? 0
        }
        guard total == Int64(requests) else {
            throw RedisBenchmarkTool.Failure(description: "the INCR counters add up to \(total), expected \(requests)")
        }
        return Double(requests) / elapsed.inSeconds
    }

    /// Events per second tracked in buffered mode through `redis` (closed after), from the first `track` until the
    /// final flush is confirmed; checks the all-time total.
    private func bufferedThroughput(_ redis: any RedisClient) async throws -> Double {
        defer { redis.close() }
        let catalog = try BenchTrackCommand.catalog()
        let clock = FixedWallClock(Date())
        let planner = CounterWritePlanner(catalog: catalog, scheme: CounterKeyScheme(prefix: BenchTrackCommand.prefix))
        let keys = planner.writes(
            for: TrackedEvent(
                name: "bench_event", user: 1, timestamp: clock.now(), rules: catalog.rules(forEvent: "bench_event"))
        ).map(\.key)
        _ = try await redis.pipeline(keys.map { .del([$0]) })
        let quiet = Logger(label: "tally.bench") { _ in SwiftLogNoOpLogHandler() }
        let sink = BufferedRedisCounterSink(redis: redis, planner: planner, logger: quiet)
        let tracker = Tracker(catalog: catalog, sinks: [sink], clock: clock, logger: quiet)
        let start = ContinuousClock.now
        let running = Task { try await sink.run() }
        for index in 0..<events {
            tracker.track("bench_event", user: UserID(Int64(index % 100_000 + 1)))
        }
        sink.requestShutdown()
        try await running.value
        let elapsed = ContinuousClock.now - start
        let total = try await redis.send(.get(keys[0])).optionalIntegerString()
        _ = try await redis.pipeline(keys.map { .del([$0]) })
        guard total == Int64(events) else {
            throw RedisBenchmarkTool.Failure(
                description: "buffered: \(keys[0]) is \(total.map(String.init) ?? "nil"), expected \(events)")
        }
        return Double(events) / elapsed.inSeconds
    }

    struct Result: BenchResult {
        var benchmark = "cluster"
        var masters: Int
        var requests: Int
        var pipeline: Int
        var events: Int
        var runs: Int
        var tallyIncrPerSec: Double
        var redisBenchmarkIncrPerSec: Double
        var incrRatio: Double
        var bufferedClusterEventsPerSec: Double
        var bufferedSingleEventsPerSec: Double
        var bufferedRatio: Double
    }
}
