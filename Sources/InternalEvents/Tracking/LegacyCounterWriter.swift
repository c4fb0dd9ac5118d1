import Foundation
import Hiredis

/// GitLab's two legacy write APIs, kept for clients that still call them (`increment_counter`,
/// `increment_unique_users`), limited to counters the definitions declare:
///
/// - a `redis` metric (`RedisMetric`, options `prefix` + `event`) declares the counter `<prefix>_<event>`, written
///   with `INCR USAGE_<PREFIX>_<EVENT>` (no expiry, as GitLab's `BaseCounter`);
/// - a `redis_hll` metric (`RedisHLLMetric`, `AggregatedMetric`) declares each event in `options.events`, and
///   GitLab's `hll_redis_legacy_events.yml` lists more; each is written with
///   `PFADD {hll_counters}_<event>-<week> <user id>` and the six-week expiry.
///
/// Each call is one pipeline (a transaction for a unique write on a cluster); a name no metric declares is refused, so no caller can create a key.
public struct LegacyCounterWriter: Sendable {
    /// Counter name (`<prefix>_<event>`) → key without the scheme's prefix.
    public let counterKeys: [String: String]
    /// Legacy unique events that `redis_hll` metrics declare or `hll_redis_legacy_events.yml` lists.
    public let uniqueEvents: Set<String>
    public let scheme: CounterKeyScheme
    /// Where the writes go: one server's pool, or a cluster client.
    public let redis: any RedisClient
    public let clock: any WallClock

    public init(
        catalog: DefinitionCatalog, scheme: CounterKeyScheme, redis: any RedisClient,
        clock: any WallClock = SystemWallClock()
    ) {
        var counters: [String: String] = [:]
        var uniques = catalog.legacyAliases.uniqueEvents
        for metric in catalog.metrics {
            switch metric.dataSource {
            case .redis:
                if let name = metric.legacyCounterName, let key = metric.legacyCounterKey { counters[name] = key }
            case .redisHLL:
                uniques.formUnion(metric.optionEvents)
            default:
                continue
            }
        }
        counterKeys = counters
        uniqueEvents = uniques
        self.scheme = scheme
        self.redis = redis
        self.clock = clock
    }

    /// `INCR` of a declared legacy counter.
    /// - Throws: `.unknownEvent` when no `redis` metric declares `name`; `.sinkFailed` when Redis failed.
    public func increment(_ name: String) async throws(TrackingError) {
        guard let key = counterKeys[name] else {
            throw TrackingError(code: .unknownEvent, event: name, message: "Unknown event: \(name)", field: "event")
        }
        try await write(.increment(key: scheme.prefix + key, by: 1, weekly: false), event: name)
    }

    /// Adds `user` to this week's HyperLogLog of a declared legacy unique event.
    /// - Throws: `.unknownEvent` when neither a `redis_hll` metric nor the legacy events list names `name`; `.sinkFailed` when Redis failed.
    public func addUniqueUser(_ name: String, user: UserID) async throws(TrackingError) {
        guard uniqueEvents.contains(name) else {
            throw TrackingError(code: .unknownEvent, event: name, message: "Unknown event: \(name)", field: "event")
        }
        let key = scheme.legacyUniqueKey(event: name, weekSuffix: ISOWeek(containing: clock.now()).description)
        try await write(.addUnique(key: key, members: [user.description]), event: name)
    }

    private func write(_ write: CounterWrite, event: String) async throws(TrackingError) {
        do {
            try await RedisCounterCommands.send([write], on: redis)
        } catch {
            throw TrackingError(code: .sinkFailed, event: event, message: "\(error)")
        }
    }
}

extension MetricDefinition {
    /// A `RedisMetric`'s counter name as clients send it: `<prefix>_<event>` (just `<event>` without a prefix).
    public var legacyCounterName: String? {
        guard let event = options?["event"]?.string else { return nil }
        return [options?["prefix"]?.string, event].compactMap { $0 }.joined(separator: "_")
    }

    /// A `RedisMetric`'s key: `USAGE_<PREFIX>_<EVENT>` upper-cased (without `USAGE_` when `include_usage_prefix`
    /// is false).
    public var legacyCounterKey: String? {
        guard let event = options?["event"]?.string else { return nil }
        let usage: Bool = if case .bool(false) = options?["include_usage_prefix"] { false } else { true }
        return [usage ? "USAGE" : nil, options?["prefix"]?.string, event].compactMap { $0 }.joined(separator: "_")
            .uppercased()
    }
}
