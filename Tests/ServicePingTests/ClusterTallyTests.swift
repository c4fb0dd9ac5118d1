import Foundation
import Hiredis
import InternalEvents
import ServicePing
import TallyTestSupport
import Testing

/// Tally on a real 6-node Redis Cluster (3 masters, 3 replicas) against one real server: the same events, tracked
/// through `Tally(configuration:)` with a `redis+cluster://` URL, leave the same keys with the same values, and
/// the pings read from them are the same.
@Suite(
    "Tally on a Redis Cluster",
    .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)"))
struct ClusterTallyTests {
    /// Thursday 2025-02-20, ISO week 2025-08: 7d reads week 07, 28d weeks 04–07.
    let pingTime = TestEnvironment.day("2025-02-20").addingTimeInterval(36_000)
    let folder: DefinitionFolder

    init() throws {
        folder = try DefinitionFolder()
        try folder.write(
            "events/open.yml",
            DefinitionFolder.event(
                "open_app",
                extra: "additional_properties:\n  value:\n    description: seconds\n  label:\n    description: screen"))
        try folder.write("events/web.yml", DefinitionFolder.event("open_web", identifiers: "[user, project]"))
        func metric(_ name: String, _ keyPath: String, _ frame: String, _ events: String) throws {
            try folder.write("metrics/\(name).yml", DefinitionFolder.metric(keyPath, timeFrame: frame, events: events))
        }
        try metric("total", "counts.opens", "[28d, 7d, all]", "- name: open_app\n- name: open_web")
        try metric(
            "users", "counts.users", "[28d, 7d]",
            "- name: open_app\n  unique: user.id\n- name: open_web\n  unique: user.id")
        try metric("projects", "counts.projects", "[28d, 7d]", "- name: open_web\n  unique: project.id")
        try metric("seconds", "counts.seconds", "[28d, all]", "- name: open_app\n  operator: sum(value)")
        try folder.write(
            "metrics/screens.yml",
            DefinitionFolder.metric(
                "counts.screens", timeFrame: "[28d, 7d]", events: "- name: open_app\n  unique: label\n  operator: total"
            ).replacingOccurrences(of: "value_type: number", with: "value_type: object")
                + "value_json_schema: config/metrics/objects_schemas/screens.json\n")
    }

    @Test(arguments: [false, true])
    func trackingAndThePingMatchOneServer(buffered: Bool) async throws {
        let cluster = try await RedisCluster.shared()
        let single = try await RedisServer.shared()
        let prefix = TestEnvironment.uniqueKeyPrefix(buffered ? "cluster-buffered" : "cluster-direct")
        let onServer = try await trackEvents(url: single.url, prefix: prefix, buffered: buffered)
        let onCluster = try await trackEvents(url: cluster.url, prefix: prefix, buffered: buffered)
        defer {
            onServer.redis.close()
            onCluster.redis.close()
        }
        #expect(onCluster.redis.isCluster)

        let keys = try await onServer.redis.send(RedisCommand("KEYS", arguments: [prefix + "*"])).array()
            .map { try $0.string() }.sorted()
        #expect(keys.count > 30, "\(keys)")
        #expect(!keys.contains { $0.contains("tally:flush:") }, "no flush marker is left behind")
        for key in keys {
            #expect(
                try await Self.contents(of: key, in: onCluster.redis) == Self.contents(of: key, in: onServer.redis),
                "\(key)")
        }
        var clusterKeys: [String] = []
        for node in try await cluster.nodes().filter(\.isMaster) {
            let reply = try await cluster.send(RedisCommand("KEYS", arguments: [prefix + "*"]), to: node.port)
            clusterKeys += try reply.array().map { try $0.string() }
        }
        #expect(clusterKeys.sorted() == keys, "the cluster holds the same keys, no marker left")

        let system = SystemInfo(uuid: "cluster-test")
        let serverPing = await ServicePingBuilder(
            catalog: onServer.catalog, redis: onServer.redis, scheme: onServer.scheme
        )
        .build(recordedAt: pingTime, system: system)
        let clusterPing = await ServicePingBuilder(
            catalog: onCluster.catalog, redis: onCluster.redis, scheme: onCluster.scheme
        ).build(recordedAt: pingTime, system: system)
        #expect(clusterPing.metrics.allSatisfy { $0.error == nil }, "\(clusterPing.metrics)")
        for metric in serverPing.metrics {
            #expect(
                clusterPing.payload.value(atPath: metric.name) == serverPing.payload.value(atPath: metric.name),
                "\(metric.name)")
        }
        #expect(serverPing.payload.value(atPath: "counts.opens") == .integer(Int64(Self.events.count)))
    }

    @Test func theWorkersLeaseAndStoredPingWorkOnACluster() async throws {
        let cluster = try await RedisCluster.shared()
        let prefix = TestEnvironment.uniqueKeyPrefix("cluster-worker")
        let directory = try TestEnvironment.makeTemporaryDirectory("cluster-worker")
        let tally = try Tally(
            configuration: .init(
                redisURL: cluster.url, definitions: [folder.url.path], keyPrefix: prefix, counting: .direct,
                databaseURL: "sqlite://\(directory.path)/app.sqlite"))
        defer { tally.redis.close() }
        try await tally.tracker.trackStrictly("open_app", user: 1, project: 2, namespace: 3)
        var settings = ServicePingWorker.Configuration()
        settings.maximumJitter = .zero
        let worker = try await ServicePingWorker(tally: tally, settings: settings)
        guard case .stored = await worker.runOnce() else {
            Issue.record("the ping was not stored")
            return
        }
        let payload = try #require(try await RawUsageDataStore.newestPayload(in: worker.database))
        #expect(payload.contains(#""opens":1"#), "\(payload.prefix(300))")
        #expect(
            try await tally.redis.send(.exists([prefix + ServicePingWorker.lockKey])).int() == 0,
            "the lease is released")
        #expect(try await tally.redis.send(.exists([prefix + InstanceIdentity.key])).int() == 1)
    }

    /// On a cluster of its own (its command counts must be Tally's only): the same events tracked with GitLab's
    /// names and with the spread layout; the spread one's commands reach every master, none more than 45 % of
    /// them, and its ping, whose unique counts over several events merge HyperLogLogs from different masters, is
    /// the same.
    @Test func theSpreadLayoutSharesTheLoadAndGivesTheSamePing() async throws {
        let cluster = try await RedisCluster.start(nodeTimeout: .seconds(5))
        defer { cluster.stop() }
        let folder = try DefinitionFolder()
        let names = (0..<120).map { "screen_\($0)_viewed" }
        for name in names {
            try folder.write("events/\(name).yml", DefinitionFolder.event(name, identifiers: "[user]"))
            try folder.write(
                "metrics/\(name).yml",
                DefinitionFolder.metric("counts.\(name)", timeFrame: "[7d, all]", events: "- name: \(name)"))
        }
        let all = names.map { "- name: \($0)\n  unique: user.id" }.joined(separator: "\n")
        try folder.write(
            "metrics/viewers.yml", DefinitionFolder.metric("counts.viewers", timeFrame: "[28d, 7d]", events: all))
        func track(layout: CounterKeyScheme.Layout, prefix: String) async throws -> Tally {
            let clock = FixedWallClock(Date())
            let tally = try Tally(
                configuration: .init(
                    redisURL: cluster.url, definitions: [folder.url.path], keyPrefix: prefix, keyLayout: layout,
                    counting: .buffered(.init(flushInterval: .milliseconds(20)))),
                clock: clock)
            let running = Task { try await tally.run() }
            for index in 0..<4_000 {
                clock.set(TestEnvironment.day(index.isMultiple(of: 3) ? "2025-02-05" : "2025-02-12"))
                tally.tracker.track(names[index % names.count], user: UserID(Int64(index * 7 % 1_500 + 1)))
            }
            tally.requestShutdown()
            try await running.value
            return tally
        }
        let masters = try await cluster.nodes().filter(\.isMaster)
        for master in masters {
            try await cluster.send(RedisCommand("CONFIG", arguments: ["RESETSTAT"]), to: master.port).checked()
        }
        let spread = try await track(layout: .spread, prefix: "s:")
        defer { spread.redis.close() }
        var calls: [Int: Int] = [:]
        for master in masters {
            let stats = try await cluster.send(.info("commandstats"), to: master.port).string()
            calls[master.port] = Self.tallysCalls(in: stats)
        }
        let total = calls.values.reduce(0, +)
        #expect(total > 0)
        for (port, count) in calls {
            #expect(count * 100 <= total * 45, "master \(port) served \(count) of \(total) commands: \(calls)")
        }

        let gitLab = try await track(layout: .gitLab, prefix: "g:")
        defer { gitLab.redis.close() }
        let system = SystemInfo(uuid: "spread-test")
        let spreadPing = await ServicePingBuilder(catalog: spread.catalog, redis: spread.redis, scheme: spread.scheme)
            .build(recordedAt: pingTime, system: system)
        let gitLabPing = await ServicePingBuilder(catalog: gitLab.catalog, redis: gitLab.redis, scheme: gitLab.scheme)
            .build(recordedAt: pingTime, system: system)
        #expect(spreadPing.metrics.allSatisfy { $0.error == nil }, "\(spreadPing.metrics)")
        for metric in gitLabPing.metrics {
            #expect(
                spreadPing.payload.value(atPath: metric.name) == gitLabPing.payload.value(atPath: metric.name),
                "\(metric.name)")
        }
        #expect(gitLabPing.payload.value(atPath: "counts.viewers_weekly") != .integer(0))
    }

    // MARK: - Helpers

    /// The calls of Tally's own commands in an `INFO commandstats` reply (not the client's and tests' bookkeeping:
    /// `CLUSTER`, `INFO`, `CONFIG`, `SCRIPT`, …).
    static func tallysCalls(in stats: String) -> Int {
        let bookkeeping: Set<String> = [
            "cluster", "info", "config", "script", "ping", "role", "readonly", "client", "command", "hello", "auth",
            "select", "keys",
        ]
        var calls = 0
        for line in stats.split(whereSeparator: \.isNewline) where line.hasPrefix("cmdstat_") {
            let name = line.dropFirst("cmdstat_".count).prefix { $0 != ":" && $0 != "|" }
            guard !bookkeeping.contains(String(name)), let range = line.range(of: "calls=") else { continue }
            calls += Int(line[range.upperBound...].prefix { $0.isNumber }) ?? 0
        }
        return calls
    }

    /// 600 events over four ISO weeks: 97 users, 13 projects, 5 screens.
    static let events: [(day: String, web: Bool, user: Int64, project: Int64, label: String, value: Double)] =
        (0..<600).map { index in
            let days = ["2025-01-21", "2025-01-29", "2025-02-05", "2025-02-12", "2025-02-19"]
            return (
                days[index % days.count], index % 3 == 0, Int64(index % 97 + 1), Int64(index % 13 + 1),
                "screen\(index % 5)", Double(index % 7) + 0.5
            )
        }

    /// Tracks `events` through a `Tally` on `url` and returns it once every event is in Redis.
    private func trackEvents(url: String, prefix: String, buffered: Bool) async throws -> Tally {
        let clock = FixedWallClock(Date())
        let tally = try Tally(
            configuration: .init(
                redisURL: url, definitions: [folder.url.path], keyPrefix: prefix,
                counting: buffered ? .buffered(.init(flushInterval: .milliseconds(20))) : .direct),
            clock: clock)
        let running = Task { try await tally.run() }
        for event in Self.events {
            clock.set(TestEnvironment.day(event.day).addingTimeInterval(3_600))
            if event.web {
                tally.tracker.track("open_web", user: UserID(event.user), project: ProjectID(event.project))
            } else {
                tally.tracker.track(
                    "open_app", user: UserID(event.user), project: ProjectID(event.project),
                    namespace: NamespaceID(1),
                    additionalProperties: ["value": .double(event.value), "label": .string(event.label)])
            }
        }
        tally.requestShutdown()
        try await running.value
        return tally
    }

    /// What a key holds, in a form two servers can be compared by: its type, its value (a HyperLogLog by its
    /// count, a hash by its fields) and whether it expires.
    private static func contents(of key: String, in redis: any RedisClient) async throws -> String {
        let type = try await redis.send(RedisCommand("TYPE", keys: [key])).string()
        let ttl = try await redis.send(.ttl(key)).int()
        let expiry = ttl > 0 ? "expires" : "\(ttl)"
        switch type {
        case "hash":
            let fields = try await redis.send(.hgetall(key)).array().map { try $0.string() }
            let pairs = stride(from: 0, to: fields.count, by: 2).map { "\(fields[$0])=\(fields[$0 + 1])" }.sorted()
            return "hash \(pairs) \(expiry)"
        case "string":
            let value = try await redis.send(.get(key)).string()
            if value.hasPrefix("HYLL") {
                return "hll \(try await redis.send(.pfcount([key])).int()) \(expiry)"
            }
            return "string \(value) \(expiry)"
        default:
            return "\(type) \(expiry)"
        }
    }
}
