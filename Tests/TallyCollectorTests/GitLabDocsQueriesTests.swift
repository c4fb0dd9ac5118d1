import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InternalEvents
import NIOCore
import TallyCollector
import TallyTestSupport
import Testing

/// The two example queries of GitLab's internal analytics docs ("Data discovery"), run against the warehouse with
/// only their schema prefix (`common.`, `common_mart.`) dropped, on SQLite and PostgreSQL.
@Suite("tally collect: GitLab's example queries")
struct GitLabDocsQueriesTests {
    /// Daily occurrences of one event action (the docs' "Querying events").
    static let dailyEventOccurrences = """
        SELECT
          behavior_date,
          COUNT(*) as event_occurences
        FROM mart_behavior_structured_event
        WHERE event_action = 'feature_used'
        AND event_category = 'InternalEventTracking'
        AND behavior_date > '2023-08-01' --restricted minimum date for performance
        GROUP BY 1 ORDER BY 1 desc
        """

    /// One metric's weekly values per instance (the docs' "Querying Service Ping data").
    static let weeklyMetricValues = """
        SELECT
          date_trunc('week', ping_created_at),
          dim_instance_id,
          metric_value
        FROM fct_ping_instance_metric_rolling_6_months --model limited to last 6 months for performance
        WHERE metrics_path = 'counts.users_visiting_dashboard_weekly' --set to metric of interest
        ORDER BY ping_created_at DESC
        """

    /// A query in ClickHouse 18.16's dialect: no `date_trunc` (`toMonday`), and `GROUP BY 1` / `ORDER BY 1` group
    /// and sort by the constant 1 there, so the docs' positions become the column's name.
    static func inClickHouse(_ sql: String) -> String {
        sql.replacingOccurrences(
            of: "date_trunc('week', ping_created_at)", with: "toDateTime(toMonday(ping_created_at), 'UTC')"
        )
        .replacingOccurrences(
            of: "GROUP BY 1 ORDER BY 1 desc", with: "GROUP BY behavior_date ORDER BY behavior_date desc")
    }

    static func noon(_ day: String) -> Date {
        ISO8601DateFormatter().date(from: day + "T12:00:00Z")!
    }

    func dailyEventOccurrences(_ fixture: CollectorFixture) async throws {
        let sent = Date()
        let events = [
            TrackerBodies.structured(1, created: Self.noon("2023-08-02"), sent: sent),
            TrackerBodies.structured(2, created: Self.noon("2023-08-02"), sent: sent),
            TrackerBodies.structured(3, created: Self.noon("2023-08-03"), sent: sent),
            // Not counted: before the date, another action, another category.
            TrackerBodies.structured(4, created: Self.noon("2023-07-30"), sent: sent),
            TrackerBodies.structured(5, action: "other_action", created: Self.noon("2023-08-03"), sent: sent),
            TrackerBodies.structured(6, category: "projects:show", created: Self.noon("2023-08-03"), sent: sent),
        ]
        let app = Application(router: fixture.router())
        try await app.test(.router) { client in
            let status = try await client.execute(
                uri: TrackerBodies.tp2, method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: TrackerBodies.batch(events))
            ) { $0.status }
            #expect(status == .ok)
        }
        let result = try await fixture.warehouse.query(
            fixture.warehouse.configuration.dialect == .clickhouse
                ? Self.inClickHouse(Self.dailyEventOccurrences) : Self.dailyEventOccurrences)
        #expect(result.columns == ["behavior_date", "event_occurences"])
        #expect(result.rows.map { $0[0].string?.prefix(10) } == ["2023-08-03", "2023-08-02"])
        #expect(result.rows.map { $0[1] } == [.integer(1), .integer(2)])
    }

    @Test func dailyEventOccurrencesInSQLite() async throws {
        try await dailyEventOccurrences(try await .sqlite())
    }

    @Test(.enabled(if: PostgresServer.shouldRunSuites, "PostgreSQL is not installed (CI=true makes this a failure)"))
    func dailyEventOccurrencesInPostgreSQL() async throws {
        try await dailyEventOccurrences(try await .postgres())
    }

    @Test(.enabled(if: ClickHouseServer.shouldRunSuites, "ClickHouse is not installed (CI=true makes this a failure)"))
    func dailyEventOccurrencesInClickHouse() async throws {
        try await dailyEventOccurrences(try await .clickhouse())
    }

    @Test(.enabled(if: ClickHouseServer.shouldRunSuites, "ClickHouse is not installed (CI=true makes this a failure)"))
    func dailyEventOccurrencesInShardedClickHouse() async throws {
        try await dailyEventOccurrences(try await .shardedClickHouse())
    }

    /// The Monday (00:00 UTC) of `date`'s ISO week, as the warehouse prints times.
    static func monday(of date: Date) -> String {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let start = calendar.dateInterval(of: .weekOfYear, for: date)!.start
        return JSONValue.formatTimestamp(start)
    }

    func weeklyMetricValues(_ fixture: CollectorFixture) async throws {
        let now = Date()
        let pings: [(String, Date, Int)] = [
            ("instance-a", now.addingTimeInterval(-1 * 86_400), 12),
            ("instance-a", now.addingTimeInterval(-8 * 86_400), 10),
            ("instance-b", now.addingTimeInterval(-2 * 86_400), 3),
            // Older than six months: outside the rolling model.
            ("instance-b", now.addingTimeInterval(-200 * 86_400), 99),
        ]
        let app = Application(router: fixture.router())
        try await app.test(.router) { client in
            for (uuid, recordedAt, value) in pings {
                let body = """
                    {"uuid":"\(uuid)","recorded_at":"\(JSONValue.formatTimestamp(recordedAt))",\
                    "counts":{"users_visiting_dashboard_weekly":\(value),"other":1}}
                    """
                let status = try await client.execute(
                    uri: "/usage_data", method: .post, headers: [.contentType: "application/json"],
                    body: ByteBuffer(string: body)
                ) { $0.status }
                #expect(status == .created)
            }
        }
        let result = try await fixture.warehouse.query(
            fixture.warehouse.configuration.dialect == .clickhouse
                ? Self.inClickHouse(Self.weeklyMetricValues) : Self.weeklyMetricValues)
        #expect(result.columns.count == 3)
        let expected: [[JSONValue]] = pings.prefix(3).sorted { $0.1 > $1.1 }.map {
            [.string(Self.monday(of: $0.1)), .string($0.0), .double(Double($0.2))]
        }
        #expect(result.rows == expected)
    }

    @Test func weeklyMetricValuesInSQLite() async throws {
        try await weeklyMetricValues(try await .sqlite())
    }

    @Test(.enabled(if: PostgresServer.shouldRunSuites, "PostgreSQL is not installed (CI=true makes this a failure)"))
    func weeklyMetricValuesInPostgreSQL() async throws {
        try await weeklyMetricValues(try await .postgres())
    }

    @Test(.enabled(if: ClickHouseServer.shouldRunSuites, "ClickHouse is not installed (CI=true makes this a failure)"))
    func weeklyMetricValuesInClickHouse() async throws {
        try await weeklyMetricValues(try await .clickhouse())
    }

    @Test(.enabled(if: ClickHouseServer.shouldRunSuites, "ClickHouse is not installed (CI=true makes this a failure)"))
    func weeklyMetricValuesInShardedClickHouse() async throws {
        try await weeklyMetricValues(try await .shardedClickHouse())
    }

    @Test func dateTruncInSQLiteCutsLikePostgreSQL() async throws {
        let fixture = try await CollectorFixture.sqlite()
        let cases: [(String, String)] = [
            ("year", "2025-01-01T00:00:00.000Z"), ("quarter", "2025-04-01T00:00:00.000Z"),
            ("month", "2025-05-01T00:00:00.000Z"), ("week", "2025-05-12T00:00:00.000Z"),
            ("day", "2025-05-18T00:00:00.000Z"), ("hour", "2025-05-18T13:00:00.000Z"),
            ("minute", "2025-05-18T13:14:00.000Z"), ("second", "2025-05-18T13:14:15.000Z"),
        ]
        for (unit, expected) in cases {
            let result = try await fixture.warehouse.query(
                "SELECT date_trunc('\(unit)', '2025-05-18T13:14:15.678Z') AS t")
            #expect(result.rows == [[.string(expected)]], "\(unit)")
        }
        #expect(try await fixture.warehouse.query("SELECT date_trunc('week', NULL) AS t").rows == [[.null]])
        await #expect(throws: QueryError.self) {
            _ = try await fixture.warehouse.query("SELECT date_trunc('fortnight', '2025-05-18') AS t")
        }
    }
}
