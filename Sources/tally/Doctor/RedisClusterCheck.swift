import Hiredis
import InternalEvents
import ServicePing

/// The Redis part of `tally doctor` for a `redis+cluster://` URL: the slot map, its coverage, each master's state
/// and version, and which master serves the slots Tally's keys live in.
struct RedisClusterCheck {
    let options: RedisOptions
    let configuration: RedisClusterConfiguration

    /// Tally's kinds of keys, each by an example key under the prefix in force (GitLab's hash tags put every key of
    /// a kind in one slot).
    private var tallysKeys: [(kind: String, key: String)] {
        let prefix = options.resolvedKeyPrefix
        return [
            ("totals", prefix + "{event_counters}_"), ("uniques", prefix + "{hll_counters}_"),
            ("sums", prefix + "{event_sums}_"), ("instance uuid", prefix + InstanceIdentity.key),
            ("worker lease", prefix + ServicePingWorker.lockKey),
        ]
    }

    func run(into report: inout DoctorReport) async {
        let subject = "redis"
        var configuration = configuration
        configuration.pool = .init(maximumConnections: 1, waitTimeout: .seconds(10))
        let client = RedisClusterClient(configuration: configuration)
        defer { client.close() }
        let source = options.resolvedURL.source
        let topology: RedisClusterTopology
        do {
            topology = try await client.refreshTopology()
        } catch {
            report.fail(
                subject, "no node of \(configuration.redactedURL) (from \(source)) gave a slot map: \(error.message)")
            return
        }
        let replicas = topology.shards.reduce(0) { $0 + $1.replicas.count }
        report.ok(
            subject,
            "connected to \(configuration.redactedURL) (from \(source)): Redis Cluster of \(topology.masters.count) masters and \(replicas) replicas"
        )
        let unassigned = RedisClusterSlot.count - topology.assignedSlotCount
        if unassigned > 0 {
            report.warn(subject, "\(unassigned) of \(RedisClusterSlot.count) slots have no master")
        }
        for master in topology.masters {
            await check(master, client: client, into: &report)
        }
        var slots: [String] = []
        for (kind, key) in tallysKeys {
            let slot = RedisClusterSlot(key: key)
            guard let owner = topology.master(for: slot) else {
                report.fail(subject, "Tally's \(kind) are in \(slot), which no master serves: their writes fail")
                continue
            }
            slots.append("\(kind) in \(slot) on \(owner)")
        }
        report.ok(subject, "Tally's keys: " + slots.joined(separator: "; "))
        let counterMasters = Set(
            tallysKeys.prefix(3).compactMap { topology.master(for: RedisClusterSlot(key: $0.key)) })
        if topology.masters.count > counterMasters.count {
            report.warn(
                subject,
                "GitLab's key names keep each kind of counter in one slot: \(counterMasters.count) of \(topology.masters.count) masters serve all of Tally's counters"
            )
        }
    }

    /// One master: reachable, `cluster_state:ok` as it sees it, Redis 7 or newer.
    private func check(
        _ master: RedisClusterAddress, client: RedisClusterClient, into report: inout DoctorReport
    )
        async
    {
        do {
            let replies = try await client.pool(for: master).pipeline([.clusterInfo, .info("server")])
            let cluster = RedisCheck.fields(of: try replies[0].string())
            let server = RedisCheck.fields(of: try replies[1].string())
            let state = cluster["cluster_state"] ?? "?"
            if state != "ok" {
                report.fail(
                    "redis",
                    "master \(master) reports cluster_state:\(state) (\(cluster["cluster_slots_fail"] ?? "?") slots failing): writes to its slots are refused"
                )
            }
            RedisCheck.check(version: server["redis_version"] ?? "?", into: &report)
        } catch {
            report.fail("redis", "master \(master) can't be reached: \(error.message)")
        }
    }
}
