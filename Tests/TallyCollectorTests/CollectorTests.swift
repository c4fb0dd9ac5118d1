import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InternalEvents
import NIOCore
import SQLKit
import ServicePing
import TallyCollector
import TallyTestSupport
import Testing

/// `tally collect`'s versions-app protocol into a real warehouse: SQLite files here, PostgreSQL below.
struct CollectorFixture {
    let warehouse: Warehouse
    let folder: URL

    static func sqlite() async throws -> CollectorFixture {
        let folder = try TestEnvironment.makeTemporaryDirectory("tally-warehouse")
        let warehouse = Warehouse(
            configuration: try DatabaseConfiguration(url: "sqlite://" + folder.appendingPathComponent("w.sqlite").path))
        try await warehouse.migrate()
        return CollectorFixture(warehouse: warehouse, folder: folder)
    }

    static func postgres() async throws -> CollectorFixture {
        let server = try await PostgresServer.shared()
        let database = "warehouse_\(UInt32.random(in: 0...UInt32.max))"
        let admin = Warehouse(configuration: try DatabaseConfiguration(url: server.url))
        _ = try await admin.execute("CREATE DATABASE \(database)")
        let url = server.url.replacingOccurrences(of: "/tally?", with: "/\(database)?")
        let warehouse = Warehouse(configuration: try DatabaseConfiguration(url: url))
        try await warehouse.migrate()
        return CollectorFixture(warehouse: warehouse, folder: server.directory)
    }

    /// A database of its own on the tests' shared ClickHouse server.
    static func clickhouse() async throws -> CollectorFixture {
        let server = try await ClickHouseServer.shared()
        let url = server.url(database: "warehouse_\(UInt32.random(in: 0...UInt32.max))")
        let warehouse = Warehouse(configuration: try WarehouseConfiguration(url: url))
        try await warehouse.migrate()
        return CollectorFixture(warehouse: warehouse, folder: server.directory)
    }

    /// A database of its own on the tests' two ClickHouse shards (`Distributed` tables over both).
    static func shardedClickHouse() async throws -> CollectorFixture {
        let shards = try await ClickHouseServer.sharedShards()
        let url = ClickHouseServer.url(shards: shards, database: "warehouse_\(UInt32.random(in: 0...UInt32.max))")
        let warehouse = Warehouse(configuration: try WarehouseConfiguration(url: url))
        try await warehouse.migrate()
        return CollectorFixture(warehouse: warehouse, folder: shards[0].directory)
    }

    /// Whether times keep their milliseconds (ClickHouse 18.16's `DateTime` has whole seconds).
    var keepsMilliseconds: Bool { warehouse.configuration.dialect != .clickhouse }

    func router(limit: Int = 1 << 20) -> Router<BasicRequestContext> {
        buildCollectorRouter(.init(maximumBodyBytes: limit), warehouse: warehouse)
    }

    static func ping(uuid: String = "instance-1", recordedAt: String = "2025-02-20T10:00:00.000Z") -> String {
        """
        {"recorded_at":"\(recordedAt)","uuid":"\(uuid)","hostname":"app.example.com","version":"1.2.3",\
        "edition":"CE","active_user_count":12,"counts":{"notes":5,"broken":-1,"estimate":-2,"ratio":0.25,\
        "enabled":true,"label":"x"},"counts_weekly":{"notes":2},"recording_ce_finished_at":"\(recordedAt)"}
        """
    }
}

extension Warehouse {
    /// Runs a statement for the tests' own setup (the query API is read-only).
    func execute(_ sql: String) async throws -> Bool {
        switch configuration.kind {
        case .clickhouse(let clickhouse):
            try await ClickHouseClient(clickhouse).execute(sql)
            return true
        case .sql(let database):
            return try await AppDatabase.withDatabase(database) { database in
                try await database.sql.raw(SQLQueryString(sql)).run()
                return true
            }
        }
    }
}

@Suite("tally collect: versions-app protocol")
struct CollectorTests {
    func post(
        _ client: some TestClientProtocol, _ path: String, _ body: String
    ) async throws -> (HTTPResponse.Status, JSONValue?) {
        try await client.execute(
            uri: path, method: .post, headers: [.contentType: "application/json"],
            body: ByteBuffer(string: body)
        ) { response in
            (response.status, try? JSONDecoder().decode(JSONValue.self, from: Data(buffer: response.body)))
        }
    }

    func storesAPingFlattened(_ fixture: CollectorFixture) async throws {
        let app = Application(router: fixture.router())
        try await app.test(.router) { client in
            let (status, answer) = try await post(client, "/usage_data", CollectorFixture.ping())
            #expect(status == .created)
            guard case .integer(let id)? = answer?["conv_index"]?["usage_data_id"] else {
                Issue.record("no usage_data_id in \(String(describing: answer))")
                return
            }
            #expect(id > 0)
            // A sender retrying (its answer was lost) gets the same id; nothing is stored twice.
            let (again, repeated) = try await post(client, "/usage_data", CollectorFixture.ping())
            #expect(again == .created)
            #expect(repeated?["conv_index"]?["usage_data_id"] == .integer(id))
        }
        let pings = try await fixture.warehouse.query(
            "SELECT uuid, hostname, version, edition FROM pings")
        #expect(pings.rows == [[.string("instance-1"), .string("app.example.com"), .string("1.2.3"), .string("CE")]])
        let metrics = try await fixture.warehouse.query(
            "SELECT metrics_path, metric_value FROM fct_ping_instance_metric ORDER BY metrics_path")
        #expect(
            metrics.rows.map { $0[0] }
                == [
                    "active_user_count", "counts.broken", "counts.estimate", "counts.notes", "counts.ratio",
                    "counts_weekly.notes",
                ].map(JSONValue.string))
        #expect(metrics.rows.first { $0[0] == .string("counts.ratio") }?[1] == .double(0.25))
        let failed = try await fixture.warehouse.query(
            "SELECT metrics_path FROM ping_metrics WHERE has_failed = \(fixture.warehouse.configuration.isPostgres ? "true" : "1") ORDER BY metrics_path"
        )
        #expect(failed.rows == [[.string("counts.broken")], [.string("counts.estimate")]])
    }

    @Test func storesAPingFlattenedInSQLite() async throws {
        try await storesAPingFlattened(try await .sqlite())
    }

    @Test(.enabled(if: PostgresServer.shouldRunSuites, "PostgreSQL is not installed (CI=true makes this a failure)"))
    func storesAPingFlattenedInPostgreSQL() async throws {
        try await storesAPingFlattened(try await .postgres())
    }

    @Test(.enabled(if: ClickHouseServer.shouldRunSuites, "ClickHouse is not installed (CI=true makes this a failure)"))
    func storesAPingFlattenedInClickHouse() async throws {
        try await storesAPingFlattened(try await .clickhouse())
    }

    @Test(.enabled(if: ClickHouseServer.shouldRunSuites, "ClickHouse is not installed (CI=true makes this a failure)"))
    func storesAPingFlattenedInShardedClickHouse() async throws {
        try await storesAPingFlattened(try await .shardedClickHouse())
    }

    @Test func concurrentCopiesOfOnePingAreStoredOnce() async throws {
        let fixture = try await CollectorFixture.sqlite()
        let app = Application(router: fixture.router())
        try await app.test(.router) { client in
            let ids = try await withThrowingTaskGroup(of: JSONValue?.self) { group in
                for _ in 0..<8 {
                    group.addTask { try await post(client, "/usage_data", CollectorFixture.ping()).1 }
                }
                return try await group.reduce(into: [JSONValue?]()) { $0.append($1) }
            }
            #expect(Set(ids.map { $0?["conv_index"]?["usage_data_id"] }).count == 1)
        }
        #expect(try await fixture.warehouse.query("SELECT count(*) AS n FROM pings").rows == [[.integer(1)]])
        #expect(try await fixture.warehouse.query("SELECT count(*) AS n FROM ping_metrics").rows == [[.integer(6)]])
    }

    @Test func badBodiesAreRefusedNamingTheField() async throws {
        let fixture = try await CollectorFixture.sqlite()
        let app = Application(router: fixture.router(limit: 4_096))
        try await app.test(.router) { client in
            for (body, field) in [
                ("not json", "body"), ("[1, 2]", "body"), (#"{"recorded_at": "2025-02-20T10:00:00Z"}"#, "uuid"),
                (#"{"uuid": "u", "recorded_at": "last week"}"#, "recorded_at"),
                (#"{"uuid": "u", "recorded_at": "2025-02-24T15:34:15.04Z*"}"#, "recorded_at"),
                (#"{"uuid": "u", "recorded_at": "2025-02-24T15:34:15Z", "edition": {}}"#, "edition"),
                (#"{"uuid": "u", "recorded_at": "2025-02-24T15:34:15Z", "hostname": 5}"#, "hostname"),
                (#"{"uuid": 5, "recorded_at": "2025-02-20T10:00:00Z"}"#, "uuid"),
            ] {
                let (status, answer) = try await post(client, "/usage_data", body)
                #expect(status == .badRequest, "\(body)")
                #expect(answer?["field"] == .string(field), "\(body): \(String(describing: answer))")
            }
            let big = "{\"uuid\": \"u\", \"pad\": \"" + String(repeating: "x", count: 5_000) + "\"}"
            #expect(try await post(client, "/usage_data", big).0 == .contentTooLarge)
            #expect(try await post(client, "/usage_ping_errors", #"{"nope": 1}"#).1?["field"] == .string("error"))
            #expect(
                try await post(client, "/usage_ping_errors", #"{"error": {"elapsed": "slow"}}"#).1?["field"]
                    == .string("error.elapsed"))
            #expect(
                try await post(client, "/usage_ping_metadata", #"{"metadata": {"uuid": null}}"#).1?["field"]
                    == .string("metadata.uuid"))
            #expect(try await post(client, "/usage_ping_metadata", #"{"metadata": 5}"#).1?["field"] == "metadata")
            let wrongMethod = try await client.execute(uri: "/usage_data", method: .get) { ($0.status, $0.headers) }
            #expect(wrongMethod.0 == .methodNotAllowed)
            #expect(wrongMethod.1[.allow] == "POST")
        }
        #expect(try await fixture.warehouse.query("SELECT count(*) AS n FROM pings").rows == [[.integer(0)]])
    }

    @Test func metadataAndErrorsAreStored() async throws {
        let fixture = try await CollectorFixture.sqlite()
        let app = Application(router: fixture.router())
        try await app.test(.router) { client in
            #expect(
                try await post(client, "/usage_ping_metadata", #"{"metadata": {"uuid": "instance-1", "metrics": []}}"#)
                    .0 == .created)
            #expect(
                try await post(
                    client, "/usage_ping_errors",
                    #"{"error": {"uuid": "instance-1", "hostname": "h", "version": "1", "message": "boom", "elapsed": 0.5}}"#
                ).0 == .created)
            let health = try await client.execute(uri: "/health", method: .get) { String(buffer: $0.body) }
            #expect(health == "ok\n")
        }
        #expect(try await fixture.warehouse.query("SELECT uuid FROM ping_metadata").rows == [[.string("instance-1")]])
        #expect(
            try await fixture.warehouse.query("SELECT uuid, message, elapsed FROM ping_errors").rows == [
                [.string("instance-1"), .string("boom"), .double(0.5)]
            ])
    }

    @Test func aWarehouseThatCantStoreAnswers503() async throws {
        // A SQLite file in a folder that doesn't exist: every open fails.
        let warehouse = Warehouse(configuration: try DatabaseConfiguration(url: "sqlite:///nonexistent-tally/w.sqlite"))
        let app = Application(router: buildCollectorRouter(.init(), warehouse: warehouse))
        try await app.test(.router) { client in
            let (status, answer) = try await post(client, "/usage_data", CollectorFixture.ping())
            #expect(status == .serviceUnavailable)
            #expect(answer?["message"]?.string?.contains("try again") == true)
        }
    }

    @Test func onePingPerInstanceAndWeekInSQLite() async throws {
        try await onePingPerInstanceAndWeek(try await .sqlite())
    }

    @Test(.enabled(if: ClickHouseServer.shouldRunSuites, "ClickHouse is not installed (CI=true makes this a failure)"))
    func onePingPerInstanceAndWeekInClickHouse() async throws {
        try await onePingPerInstanceAndWeek(try await .clickhouse())
    }

    @Test(.enabled(if: ClickHouseServer.shouldRunSuites, "ClickHouse is not installed (CI=true makes this a failure)"))
    func onePingPerInstanceAndWeekInShardedClickHouse() async throws {
        try await onePingPerInstanceAndWeek(try await .shardedClickHouse())
    }

    func onePingPerInstanceAndWeek(_ fixture: CollectorFixture) async throws {
        let app = Application(router: fixture.router())
        try await app.test(.router) { client in
            // Thursday and Saturday of ISO week 2025-08, then the Monday after.
            for (uuid, time) in [
                ("a", "2025-02-20T10:00:00.000Z"), ("a", "2025-02-22T10:00:00.000Z"), ("a", "2025-02-24T10:00:00.000Z"),
                ("b", "2025-02-20T11:00:00.000Z"),
            ] {
                let (status, _) = try await post(
                    client, "/usage_data", CollectorFixture.ping(uuid: uuid, recordedAt: time))
                #expect(status == .created)
            }
        }
        let latest = try await fixture.warehouse.query(
            "SELECT uuid, recorded_at, ping_week FROM latest_pings_per_week ORDER BY uuid, recorded_at")
        #expect(
            latest.rows.map { [$0[0], $0[2]] } == [
                [.string("a"), .string("2025-02-17")], [.string("a"), .string("2025-02-24")],
                [.string("b"), .string("2025-02-17")],
            ])
        #expect(latest.rows[0][1] == .string("2025-02-22T10:00:00.000Z"), "the newest ping of the week")
    }

    func queriesOnlyRead(_ fixture: CollectorFixture) async throws {
        let writes =
            fixture.warehouse.configuration.dialect == .clickhouse
            ? [
                "ALTER TABLE pings DELETE WHERE 1", "DROP TABLE pings", "CREATE TABLE t (x Int8) ENGINE = Memory",
                "INSERT INTO pings (uuid) VALUES ('x')",
            ]
            : ["DELETE FROM pings", "DROP TABLE pings", "CREATE TABLE t (x INTEGER)"]
        for statement in writes {
            await #expect {
                _ = try await fixture.warehouse.query(statement)
            } throws: { error in
                (error as? QueryError)?.description.contains("only reads") == true
            }
        }
        #expect(try await fixture.warehouse.query("SELECT count(*) AS n FROM pings").rows.count == 1)
    }

    @Test func queriesOnlyReadInSQLite() async throws {
        try await queriesOnlyRead(try await .sqlite())
    }

    @Test(.enabled(if: PostgresServer.shouldRunSuites, "PostgreSQL is not installed (CI=true makes this a failure)"))
    func queriesOnlyReadInPostgreSQL() async throws {
        try await queriesOnlyRead(try await .postgres())
    }

    @Test(.enabled(if: ClickHouseServer.shouldRunSuites, "ClickHouse is not installed (CI=true makes this a failure)"))
    func queriesOnlyReadInClickHouse() async throws {
        try await queriesOnlyRead(try await .clickhouse())
    }

    @Test(.enabled(if: ClickHouseServer.shouldRunSuites, "ClickHouse is not installed (CI=true makes this a failure)"))
    func queriesOnlyReadInShardedClickHouse() async throws {
        try await queriesOnlyRead(try await .shardedClickHouse())
    }

    @Test(.enabled(if: ClickHouseServer.shouldRunSuites, "ClickHouse is not installed (CI=true makes this a failure)"))
    func concurrentCopiesOfOnePingAreStoredOnceInClickHouse() async throws {
        let fixture = try await CollectorFixture.clickhouse()
        let app = Application(router: fixture.router())
        let ids = try await app.test(.router) { client in
            try await withThrowingTaskGroup(of: JSONValue?.self) { group in
                for _ in 0..<8 {
                    group.addTask { try await post(client, "/usage_data", CollectorFixture.ping()).1 }
                }
                return try await group.reduce(into: [JSONValue?]()) { $0.append($1?["conv_index"]?["usage_data_id"]) }
            }
        }
        #expect(Set(ids.map { $0 ?? .null }).count == 1, "one id for every copy: \(ids)")
        // Merged copies: the views read FINAL, so each metric shows once.
        let metrics = try await fixture.warehouse.query(
            "SELECT count(*) AS n FROM fct_ping_instance_metric WHERE metrics_path = 'counts.notes'")
        #expect(metrics.rows == [[.integer(1)]])
        let pings = try await fixture.warehouse.query("SELECT count(*) AS n FROM latest_pings_per_week")
        #expect(pings.rows == [[.integer(1)]])
    }

    @Test(.enabled(if: ClickHouseServer.shouldRunSuites, "ClickHouse is not installed (CI=true makes this a failure)"))
    func aClickHouseThatIsDownAnswers503() async throws {
        // A port where nothing listens.
        let port = try await ClickHouseServer.shared().port + 1
        let warehouse = Warehouse(
            configuration: try WarehouseConfiguration(url: "clickhouse://127.0.0.1:\(port)/tally"))
        let app = Application(router: buildCollectorRouter(.init(), warehouse: warehouse))
        try await app.test(.router) { client in
            let (status, _) = try await post(client, "/usage_data", CollectorFixture.ping())
            #expect(status == .serviceUnavailable)
            let events = try await client.execute(
                uri: TrackerBodies.tp2, method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: TrackerBodies.batch([TrackerBodies.structured(1)]))
            ) { $0.status }
            #expect(events == .serviceUnavailable)
        }
    }
}

extension WarehouseConfiguration {
    var isPostgres: Bool { dialect == .postgres }
}
