import ArgumentParser
import Foundation
import Hiredis
import InternalEvents

/// `tally bench redis`: pipelined INCRs through `Hiredis` vs `redis-benchmark -P 64 -c 1 -t incr`.
struct BenchRedisCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redis",
        abstract: "Pipelined INCR throughput of Tally's hiredis wrapper vs redis-benchmark, one connection each.",
        discussion: """
            Both sides send the same number of INCRs in pipelines of the same depth over one connection to the same \
            server. Uses the key tally:bench:incr (deleted before and after) and redis-benchmark's counter:__rand_int__ \
            (deleted after). Use a server of your own, not production.
            """
    )

    @OptionGroup var redis: RedisOptions

    @Option(help: "INCR commands per side and run.")
    var requests = 1_000_000

    @Option(help: "Commands per pipeline (redis-benchmark -P).")
    var pipeline = 64

    @Option(help: "Runs; the report gives the median of each side and the median ratio.")
    var runs = 3

    @Flag(help: "End with one JSON object on the last line.")
    var json = false

    func validate() throws {
        guard requests > 0 else { throw ValidationError("--requests must be positive, got \(requests)") }
        guard pipeline > 0 else { throw ValidationError("--pipeline must be positive, got \(pipeline)") }
        guard runs > 0 else { throw ValidationError("--runs must be positive, got \(runs)") }
    }

    func run() async throws {
        let configuration = try redis.configuration()
        let baseline = try RedisBenchmarkTool()
        let pool = RedisConnectionPool(redis: configuration, configuration: .init(maximumConnections: 1))
        defer { pool.close() }
        let key = "tally:bench:incr"
        var ours: [Double] = []
        var theirs: [Double] = []
        var ratios: [Double] = []
        for run in 1...runs {
            _ = try await pool.send(.del([key])).checked()
            let tally = try await incrThroughput(pool: pool, key: key)
            let reference = try await baseline.requestsPerSecond(
                configuration,
                arguments: ["-P", String(pipeline), "-c", "1", "-n", String(requests), "-t", "incr"])
            ours.append(tally)
            theirs.append(reference)
            ratios.append(tally / reference)
            print(
                "run \(run)/\(runs): tally \(BenchStatistics.grouped(tally)) INCR/s, redis-benchmark \(BenchStatistics.grouped(reference)) INCR/s, ratio \(String(format: "%.3f", tally / reference))"
            )
        }
        _ = try await pool.send(.del([key, "counter:__rand_int__"]))
        let result = Result(
            requests: requests, pipeline: pipeline, runs: runs,
            tallyOpsPerSec: BenchStatistics.median(ours),
            redisBenchmarkOpsPerSec: BenchStatistics.median(theirs),
            ratio: BenchStatistics.median(ratios))
        print(
            "median: tally \(BenchStatistics.grouped(result.tallyOpsPerSec)) INCR/s, redis-benchmark \(BenchStatistics.grouped(result.redisBenchmarkOpsPerSec)) INCR/s, ratio \(String(format: "%.3f", result.ratio)) (goal ≥ 0.8)"
        )
        if json { try result.printJSONLine() }
    }

    /// INCRs per second through one pooled connection; checks the counter ends at exactly `requests`.
    private func incrThroughput(pool: RedisConnectionPool, key: String) async throws -> Double {
        let requests = requests
        let depth = pipeline
        let clock = ContinuousClock()
        let (elapsed, final) = try await pool.withConnection { connection throws(RedisError) in
            let batch = Array(repeating: RedisCommand.incr(key), count: depth)
            var sent = 0
            let start = clock.now
            while sent < requests {
                let size = min(depth, requests - sent)
                let replies = try connection.pipeline(size == depth ? batch : Array(batch.prefix(size)))
                _ = try replies[replies.count - 1].int()
                sent += size
            }
            let elapsed = clock.now - start
            return (elapsed, try connection.send(.get(key)).optionalIntegerString())
        }
        guard final == Int64(requests) else {
            throw RedisBenchmarkTool.Failure(
                description: "counter ended at \(final.map(String.init) ?? "nil"), expected \(requests)")
        }
        return Double(requests) / elapsed.inSeconds
    }

    struct Result: BenchResult {
        var benchmark = "redis"
        var requests: Int
        var pipeline: Int
        var runs: Int
        var tallyOpsPerSec: Double
        var redisBenchmarkOpsPerSec: Double
        var ratio: Double
    }
}
