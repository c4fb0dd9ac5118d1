import Foundation
import Hiredis
import TallyTestSupport
import Testing

/// The `tally` binary on a real 6-node Redis Cluster (3 masters, 3 replicas), given as `redis+cluster://`.
@Suite(
    "tally CLI on a Redis Cluster",
    .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)"))
struct ClusterCLITests {
    let examples = DefinitionFolder.packageRoot.appendingPathComponent("definitions").path

    @Test func doctorReportsTheClusterAndWhereTallysKeysLive() async throws {
        let cluster = try await RedisCluster.shared()
        let output = try await TallyBinary.run(["doctor"], environment: ["TALLY_REDIS_URL": cluster.url])
        #expect(output.status == 0, "\(output.combined)")
        #expect(
            output.standardOutput.contains(
                "[ok]      redis: connected to \(cluster.url) (from TALLY_REDIS_URL): Redis Cluster of 3 masters and 3 replicas"
            ), "\(output.combined)")
        let slot = RedisClusterSlot(key: "{event_counters}_x")
        let owner = try #require(try await cluster.master(of: slot))
        #expect(
            output.standardOutput.contains("Tally's keys: totals in \(slot) on 127.0.0.1:\(owner.port)"),
            "\(output.combined)")
        // The three kinds' slots (3207, 14643, 5765) fall on the three masters of an evenly split cluster, so no
        // master is left without Tally's counters.
        #expect(!output.standardOutput.contains("masters serve all of Tally's counters"), "\(output.combined)")
        #expect(output.standardOutput.contains("doctor: all checks passed"), "\(output.combined)")
    }

    @Test func doctorRefusesOneClusterNodeGivenAsAServer() async throws {
        let cluster = try await RedisCluster.shared()
        let url = "redis://127.0.0.1:\(cluster.servers[0].port)"
        let output = try await TallyBinary.run(["doctor"], environment: ["TALLY_REDIS_URL": url])
        #expect(output.status == 1)
        #expect(output.standardOutput.contains("the server is a Redis Cluster node"), "\(output.combined)")
        #expect(output.standardOutput.contains("redis+cluster://"), "\(output.combined)")
    }

    @Test func doctorNamesAClusterNobodyAnswersFor() async throws {
        let output = try await TallyBinary.run(
            ["doctor"], environment: ["TALLY_REDIS_URL": "redis+cluster://:hunter2@127.0.0.1:1,127.0.0.1:2"])
        #expect(output.status == 1)
        #expect(
            output.standardOutput.contains(
                "no node of redis+cluster://:***@127.0.0.1:1,127.0.0.1:2 (from TALLY_REDIS_URL) gave a slot map"),
            "\(output.combined)")
        #expect(!output.combined.contains("hunter2"))
    }

    @Test func trackThenPingAndMetricReadTheCluster() async throws {
        let cluster = try await RedisCluster.shared()
        let environment = [
            "TALLY_REDIS_URL": cluster.url, "TALLY_DEFINITIONS": examples,
            "TALLY_KEY_PREFIX": TestEnvironment.uniqueKeyPrefix("cluster-cli"),
        ]
        for user in ["1", "2", "2"] {
            let tracked = try await TallyBinary.run(
                ["track", "create_note", "--user", user, "--at", "2025-02-12T10:00:00Z"], environment: environment)
            #expect(tracked.status == 0, "\(tracked.combined)")
        }
        let output = try await TallyBinary.run(
            ["ping", "--at", "2025-02-20T10:00:00Z", "--compact"], environment: environment)
        #expect(output.status == 0, "\(output.combined)")
        let payload = try #require(
            try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)) as? [String: Any])
        let counts = try #require(payload["counts"] as? [String: Any])
        #expect(counts["count_distinct_user_id_from_create_note_weekly"] as? Int == 2)
        #expect(counts["count_total_create_note"] as? Int == 3)
        let metric = try await TallyBinary.run(
            ["metric", "counts.count_total_create_note", "--at", "2025-02-20T10:00:00Z"], environment: environment)
        #expect(metric.status == 0, "\(metric.combined)")
        #expect(metric.standardOutput.contains("value:      3"), "\(metric.combined)")
    }
}
