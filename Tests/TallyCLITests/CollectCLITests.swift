import Foundation
import Hiredis
import TallyTestSupport
import Testing

/// The whole loop as a user runs it: `tally collect` on a free port, a `tally ping --submit` from an instance with
/// counters in Redis, and `tally query` reading the warehouse.
@Suite(
    "tally collect and tally query",
    .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)"))
struct CollectCLITests {
    @Test func aSubmittedPingIsQueryableInSQLite() async throws {
        try await aSubmittedPingIsQueryable(warehouseURL: nil)
    }

    @Test(.enabled(if: ClickHouseServer.shouldRunSuites, "ClickHouse is not installed (CI=true makes this a failure)"))
    func aSubmittedPingIsQueryableInClickHouse() async throws {
        let server = try await ClickHouseServer.shared()
        try await aSubmittedPingIsQueryable(
            warehouseURL: server.url(database: "cli_\(UInt32.random(in: 0...UInt32.max))"))
    }

    @Test(.enabled(if: ClickHouseServer.shouldRunSuites, "ClickHouse is not installed (CI=true makes this a failure)"))
    func aSubmittedPingIsQueryableInShardedClickHouse() async throws {
        let shards = try await ClickHouseServer.sharedShards()
        try await aSubmittedPingIsQueryable(
            warehouseURL: ClickHouseServer.url(shards: shards, database: "cli_\(UInt32.random(in: 0...UInt32.max))"))
    }

    /// `warehouseURL`: nil for a SQLite file in the test's folder.
    func aSubmittedPingIsQueryable(warehouseURL: String?) async throws {
        let redis = try await RedisServer.shared()
        let folder = try DefinitionFolder()
        try folder.write("events/e.yml", DefinitionFolder.event("open_app", identifiers: "[user]"))
        try folder.write(
            "metrics/m.yml",
            DefinitionFolder.metric("counts.app_users", timeFrame: "7d", events: "- name: open_app\n  unique: user.id"))
        // The versions app knows an instance by the payload's uuid (GitLab's UuidMetric).
        try folder.write(
            "metrics/uuid.yml",
            try String(
                contentsOf: DefinitionFolder.packageRoot.appendingPathComponent(
                    "definitions/metrics/license/20261125000100_uuid.yml"), encoding: .utf8))
        let collector = try await CollectProcess.start(in: folder.url, warehouseURL: warehouseURL)
        defer { collector.process.send(SIGKILL) }
        let warehouse = collector.warehouseURL
        let bound = collector.port

        let prefix = TestEnvironment.uniqueKeyPrefix("collect")
        let environment = [
            "TALLY_REDIS_URL": "redis://127.0.0.1:\(redis.port)", "TALLY_KEY_PREFIX": prefix,
            "TALLY_DATABASE_URL": "sqlite://" + folder.url.appendingPathComponent("app.sqlite").path,
        ]
        for user in ["1", "2", "3"] {
            let tracked = try await TallyBinary.run(
                ["track", "open_app", "--user", user, "--at", "2025-02-12T10:00:00Z", folder.url.path],
                environment: environment)
            #expect(tracked.status == 0, "\(tracked.standardError)")
        }
        for _ in 0..<2 {  // Submitted twice: the warehouse keeps one.
            let ping = try await TallyBinary.run(
                [
                    "ping", "--at", "2025-02-20T10:00:00Z", "--submit", "--collector-url", "http://127.0.0.1:\(bound)",
                    folder.url.path,
                ], environment: environment)
            #expect(ping.status == 0, "\(ping.standardError)")
            // SQLite numbers pings 1, 2, …; ClickHouse derives the id from the instance and time.
            #expect(
                ping.standardError.contains(warehouseURL == nil ? "usage_data_id 1" : "usage_data_id "),
                "\(ping.standardError)")
        }

        let query = try await TallyBinary.run([
            "query", "--warehouse-url", warehouse, "--json",
            "SELECT dim_instance_id, metrics_path, metric_value, ping_created_at FROM fct_ping_instance_metric WHERE metrics_path = 'counts.app_users'",
        ])
        #expect(query.status == 0, "\(query.standardError)")
        #expect(
            query.standardOutput.contains(#""metrics_path":"counts.app_users","metric_value":3"#),
            "\(query.standardOutput)")
        #expect(query.standardOutput.contains(#""ping_created_at":"2025-02-20T10:00:00.000Z""#))
        let table = try await TallyBinary.run([
            "query", "--warehouse-url", warehouse, "SELECT count(*) AS pings FROM pings",
        ])
        #expect(table.standardOutput == "pings\n-----\n    1\n(1 row)\n", "\(table.standardOutput)")
        let csv = try await TallyBinary.run(
            ["query", "--warehouse-url", warehouse, "--csv", "SELECT 'a,b' AS text, 2 AS n"])
        #expect(csv.standardOutput == "text,n\n\"a,b\",2\n")

        let write = try await TallyBinary.run(["query", "--warehouse-url", warehouse, "DROP TABLE pings"])
        #expect(write.status == 1)
        #expect(write.standardError.contains("only reads"), "\(write.standardError)")

        kill(collector.process.processIdentifier, SIGTERM)
        #expect(await TestEnvironment.waitUntil { !collector.process.isRunning }, "tally collect stops on SIGTERM")
        #expect(collector.process.terminationStatus == 0)
    }

    @Test func anOfflineInstanceExportsItsPingsAndTheWarehouseImportsThemOnce() async throws {
        let redis = try await RedisServer.shared()
        let folder = try DefinitionFolder()
        try folder.write("events/e.yml", DefinitionFolder.event("open_app", identifiers: "[user]"))
        try folder.write(
            "metrics/uuid.yml",
            try String(
                contentsOf: DefinitionFolder.packageRoot.appendingPathComponent(
                    "definitions/metrics/license/20261125000100_uuid.yml"), encoding: .utf8))
        let environment = [
            "TALLY_REDIS_URL": "redis://127.0.0.1:\(redis.port)",
            "TALLY_KEY_PREFIX": TestEnvironment.uniqueKeyPrefix("x"),
            "TALLY_DATABASE_URL": "sqlite://" + folder.url.appendingPathComponent("app.sqlite").path,
        ]
        for week in ["2025-02-20T10:00:00Z", "2025-02-27T10:00:00Z"] {
            let ping = try await TallyBinary.run(
                ["ping", "--at", week, "--store", folder.url.path], environment: environment)
            #expect(ping.status == 0, "\(ping.standardError)")
        }
        let file = folder.url.appendingPathComponent("pings.jsonl").path
        let export = try await TallyBinary.run(["ping", "--export", file], environment: environment)
        #expect(export.status == 0, "\(export.standardError)")
        #expect(export.standardError.contains("2 stored pings"), "\(export.standardError)")
        #expect(try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").count == 2)

        let warehouse = "sqlite://" + folder.url.appendingPathComponent("warehouse.sqlite").path
        let first = try await TallyBinary.run(["collect", "import", "--warehouse-url", warehouse, file])
        #expect(first.status == 0, "\(first.standardError)")
        #expect(
            first.standardError.contains("2 stored, 0 already in the warehouse, 0 refused"), "\(first.standardError)")
        let again = try await TallyBinary.run(["collect", "import", "--warehouse-url", warehouse, file])
        #expect(again.standardError.contains("0 stored, 2 already in the warehouse"), "\(again.standardError)")

        // GitLab's downloaded payload (one indented document), and a file with a line that isn't a ping.
        let single = folder.url.appendingPathComponent("payload.json").path
        try
            "{\n  \"uuid\": \"gitlab-1\",\n  \"recorded_at\": \"2025-03-01T00:00:00Z\",\n  \"counts\": {\"issues\": 4}\n}\n"
            .write(toFile: single, atomically: true, encoding: .utf8)
        let gitLab = try await TallyBinary.run(["collect", "import", "--warehouse-url", warehouse, single])
        #expect(gitLab.standardError.contains("1 stored"), "\(gitLab.standardError)")
        let mixed = folder.url.appendingPathComponent("mixed.jsonl").path
        try "{\"uuid\":\"m\",\"recorded_at\":\"2025-03-02T00:00:00Z\"}\n\n{\"uuid\":\"m\"}\n"
            .write(toFile: mixed, atomically: true, encoding: .utf8)
        let partly = try await TallyBinary.run(["collect", "import", "--warehouse-url", warehouse, mixed])
        #expect(partly.status == 1)
        #expect(partly.standardError.contains("mixed.jsonl:3: not a ping: recorded_at"), "\(partly.standardError)")
        #expect(partly.standardError.contains("1 stored, 0 already in the warehouse, 1 refused"))

        let count = try await TallyBinary.run([
            "query", "--warehouse-url", warehouse, "--csv", "SELECT count(*) AS n FROM pings",
        ])
        #expect(count.standardOutput == "n\n4\n", "\(count.standardOutput)")
    }

    @Test func aBadWarehouseURLIsNamed() async throws {
        let output = try await TallyBinary.run(["collect", "--warehouse-url", "mysql://x"])
        #expect(output.status != 0)
        #expect(output.standardError.contains("--warehouse-url"), "\(output.standardError)")
    }
}
