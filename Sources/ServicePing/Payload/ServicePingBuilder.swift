import Foundation
import Hiredis
import InternalEvents
import Logging

/// Builds a Service Ping from the metric definitions: every reported metric's value, GitLab's payload shape.
///
/// All Redis reads of a ping go out in one pipeline (one per node on a Redis Cluster). A metric that fails never fails the ping: it becomes -1 (or
/// -2) and its error goes into the metadata.
public struct ServicePingBuilder: Sendable {
    /// Which metrics a ping reports.
    public struct Settings: Sendable, Hashable {
        /// Include metrics of `data_category: optional` (GitLab CE reports every category).
        public var includesOptionalMetrics: Bool

        public init(includesOptionalMetrics: Bool = true) {
            self.includesOptionalMetrics = includesOptionalMetrics
        }
    }

    public let catalog: DefinitionCatalog
    /// Where the counters are: one server's pool, or a cluster client.
    public let redis: any RedisClient
    public let scheme: CounterKeyScheme
    public let registry: InstrumentationRegistry
    public let settings: Settings
    /// The app database that database metrics count in; `nil` reports them as -1.
    public let database: DatabaseConfiguration?
    public let batchSettings: BatchCounter.Settings
    private let logger: Logger

    public init(
        catalog: DefinitionCatalog, redis: any RedisClient, database: DatabaseConfiguration? = nil,
        scheme: CounterKeyScheme? = nil, registry: InstrumentationRegistry = .init(), settings: Settings = .init(),
        batchSettings: BatchCounter.Settings = .init(), logger: Logger = Logger(label: "tally.ping")
    ) {
        self.catalog = catalog
        self.redis = redis
        self.database = database
        self.scheme = scheme ?? CounterKeyScheme(aliases: catalog.legacyAliases)
        self.registry = registry
        self.settings = settings
        self.batchSettings = batchSettings
        self.logger = logger
    }

    /// The metrics a ping reports: `active` and `broken` ones of the permitted data categories, by key path.
    public var reportedMetrics: [MetricDefinition] {
        catalog.metrics.filter { metric in
            metric.status.isReported && (settings.includesOptionalMetrics || metric.dataCategory != .optional)
        }
    }

    /// Builds the ping as of `recordedAt`.
    public func build(recordedAt: Date, system: SystemInfo) async -> ServicePingReport {
        let context = PingContext(recordedAt: recordedAt, scheme: scheme, system: system)
        let metrics = reportedMetrics
        var results = [Result<JSONValue, MetricFailure>?](repeating: nil, count: metrics.count)
        var elapsed = [Double](repeating: 0, count: metrics.count)
        var reads: [(index: Int, read: RedisRead)] = []
        var counts: [(index: Int, spec: DatabaseMetricSpec, frame: TimeFrame)] = []

        for (index, metric) in metrics.enumerated() {
            let start = ContinuousClock.now
            switch registry.computation(for: metric, context: context) {
            case .value(let value): results[index] = .success(value)
            case .failure(let failure): results[index] = .failure(failure)
            case .redis(let read): reads.append((index, read))
            case .database(let spec): counts.append((index, spec, metric.timeFrame))
            case .compute(let body):
                do {
                    results[index] = .success(try await body())
                } catch let failure as MetricFailure {
                    results[index] = .failure(failure)
                } catch {
                    results[index] = .failure(MetricFailure("\(error)"))
                }
            }
            elapsed[index] = (.now - start).inSeconds
        }

        let roundTrips = await readRedis(reads, into: &results, elapsed: &elapsed)
        await countRows(counts, recordedAt: recordedAt, into: &results, elapsed: &elapsed)

        var tree = KeyPathTree()
        _ = tree.insert(.timestamp(recordedAt), at: "recorded_at")
        var metadata: [ServicePingReport.MetricMetadata] = []
        for (index, metric) in metrics.enumerated() {
            var error: String?
            let value: JSONValue
            switch results[index] ?? .failure(MetricFailure("not computed")) {
            case .success(let computed): value = computed
            case .failure(let failure):
                value = .integer(failure.fallback)
                error = failure.message
            }
            if let clash = tree.insert(value, at: metric.keyPath) {
                error = clash
                logger.error(
                    "metric left out of the payload", metadata: ["key_path": "\(metric.keyPath)", "reason": "\(clash)"])
            }
            metadata.append(.init(name: metric.keyPath, timeElapsed: elapsed[index], error: error))
        }
        _ = tree.insert(.timestamp(Date()), at: "recording_ce_finished_at")
        return ServicePingReport(
            payload: tree.json, metrics: metadata, uuid: system.uuid, recordedAt: recordedAt,
            redisRoundTrips: roundTrips)
    }

    /// Sends every metric's Redis commands in one pipeline and computes their values; returns the round trips taken.
    private func readRedis(
        _ reads: [(index: Int, read: RedisRead)], into results: inout [Result<JSONValue, MetricFailure>?],
        elapsed: inout [Double]
    ) async -> Int {
        guard !reads.isEmpty else { return 0 }
        let commands = reads.flatMap(\.read.commands)
        let start = ContinuousClock.now
        let replies: [RedisReply]
        do {
            replies = try await redis.pipeline(commands)
        } catch {
            for (index, _) in reads { results[index] = .failure(MetricFailure("Redis: \(error)")) }
            return 1
        }
        let share = (.now - start).inSeconds / Double(reads.count)
        var offset = 0
        for (index, read) in reads {
            let slice = Array(replies[offset..<offset + read.commands.count])
            offset += read.commands.count
            do {
                results[index] = .success(try read.value(slice))
            } catch {
                results[index] = .failure(MetricFailure("Redis: \(error)"))
            }
            elapsed[index] += share
        }
        return 1
    }

    /// Runs every database metric on one connection; if the database can't be opened, each reports why.
    private func countRows(
        _ counts: [(index: Int, spec: DatabaseMetricSpec, frame: TimeFrame)], recordedAt: Date,
        into results: inout [Result<JSONValue, MetricFailure>?], elapsed: inout [Double]
    ) async {
        guard !counts.isEmpty else { return }
        guard let database else {
            for (index, _, _) in counts {
                results[index] = .failure(MetricFailure("no database configured (TALLY_DATABASE_URL)"))
            }
            return
        }
        let settings = batchSettings
        do {
            let measured = try await AppDatabase.withDatabase(database, logger: logger) { connection in
                let counter = BatchCounter(database: connection, settings: settings)
                var measured: [(Int, Result<JSONValue, MetricFailure>, Double)] = []
                for (index, spec, frame) in counts {
                    let start = ContinuousClock.now
                    let window = DatabaseTimeWindow.bounds(for: frame, at: recordedAt)
                    let result: Result<JSONValue, MetricFailure>
                    do throws(MetricFailure) {
                        result = .success(try await counter.value(of: spec, window: window))
                    } catch {
                        result = .failure(error)
                    }
                    measured.append((index, result, (.now - start).inSeconds))
                }
                return measured
            }
            for (index, result, seconds) in measured {
                results[index] = result
                elapsed[index] += seconds
            }
        } catch {
            let reason = "database \(database.redactedURL): \(String(reflecting: error).prefix(300))"
            for (index, _, _) in counts { results[index] = .failure(MetricFailure(reason)) }
        }
    }

}
