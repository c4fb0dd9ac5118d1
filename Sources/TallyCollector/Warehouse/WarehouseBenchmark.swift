import Foundation
import InternalEvents
import NIOCore
import SQLKit

/// What `tally bench collect` needs from the warehouse: the events its load generator sends, and the baseline
/// (the same rows bulk-inserted straight into the database, with no HTTP, parsing or validation in between).
public enum WarehouseBenchmark {
    /// The `gitlab_standard` context every bench event carries (base64url, as `cx`), like GitLab's events.
    public static let contexts: String = {
        let document = """
            {"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0","data":[{"schema":\
            "iglu:com.gitlab/gitlab_standard/jsonschema/1-1-7","data":{"environment":"production","source":"tally",\
            "plan":"free","extra":{},"user_id":"cHNldWRvbnltaXplZC11c2VyLWlkLW9mLTQ0LWNoYXJzLi4=","project_id":7,\
            "namespace_id":9,"instance_id":"bench","host_name":"bench.example.com","instance_version":"1.0.0"}}]}
            """
        return Data(document.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }()

    /// The fields of bench event `number` (what the load generator sends, but for the id).
    public static func fields(_ number: Int, at time: Date) -> [String: String] {
        let milliseconds = String(Int64(time.timeIntervalSince1970 * 1_000))
        return [
            "e": "se", "p": "srv", "tv": "bench-1", "aid": "tally-bench", "se_ca": "InternalEventTracking",
            "se_ac": "feature_used", "eid": String(format: "00000000-0000-4000-8000-%012x", number),
            "dtm": milliseconds, "stm": milliseconds, "cx": contexts,
        ]
    }

    /// Inserts `count` bench events into the (migrated) warehouse: multi-row INSERTs in transactions of
    /// `rowsPerTransaction` (ClickHouse: `JSONEachRow` inserts of as many rows), as fast as the database takes them. Returns the seconds the inserts took (building the
    /// rows is not timed).
    public static func bulkInsert(
        count: Int, into warehouse: Warehouse, rowsPerTransaction: Int = 10_000
    ) async throws -> Double {
        let now = Date()
        let events = try (0..<count).map { number in
            try CollectedEvent(fields(number, at: now), collectedAt: now, pseudonymize: { $0 }, userAgent: nil)
        }
        if case .clickhouse(let configuration) = warehouse.configuration.kind {
            let client = ClickHouseClient(configuration)
            return try await bulkInsert(events, into: client, rowsPerInsert: rowsPerTransaction)
        }
        let clock = ContinuousClock()
        let started = clock.now
        var start = 0
        while start < events.count {
            let transaction = Array(events[start..<min(start + rowsPerTransaction, events.count)])
            try await warehouse.writing { database in
                try await warehouse.transaction(database) {
                    var offset = 0
                    while offset < transaction.count {
                        let slice = transaction[offset..<min(offset + Warehouse.eventRowsPerInsert, transaction.count)]
                        var insert = database.sql.insert(into: "events").columns(EventSchema.eventColumns)
                        for event in slice { insert = insert.values(database.row(of: event)) }
                        try await insert.run()
                        offset += Warehouse.eventRowsPerInsert
                    }
                }
            }
            start += rowsPerTransaction
        }
        let elapsed = clock.now - started
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// ClickHouse's baseline: the same rows as `INSERT INTO events FORMAT JSONEachRow`, `rowsPerInsert` per request,
    /// straight to the server (the bodies are built before the clock starts).
    static func bulkInsert(
        _ events: [CollectedEvent], into client: ClickHouseClient, rowsPerInsert: Int
    ) async throws -> Double {
        var bodies: [ByteBuffer] = []
        var start = 0
        while start < events.count {
            var rows = JSONEachRowBody()
            for event in events[start..<min(start + rowsPerInsert, events.count)] {
                ClickHouseClient.append(event, to: &rows)
            }
            bodies.append(rows.buffer)
            start += rowsPerInsert
        }
        let clock = ContinuousClock()
        let started = clock.now
        for body in bodies { try await client.insert(into: "events", jsonEachRow: body) }
        let elapsed = clock.now - started
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// A Service Ping of `metrics` numeric metrics from instance `instance` (its uuid), recorded at `recordedAt`.
    public static func ping(instance: Int, metrics: Int, recordedAt: Date) -> String {
        var counts: [String] = []
        counts.reserveCapacity(metrics)
        for index in 0..<metrics { counts.append(#""metric_\#(index)":\#(index * 7 + instance % 13)"#) }
        return """
            {"uuid":"bench-instance-\(instance)","hostname":"host-\(instance).example.com","version":"1.0.0",\
            "edition":"CE","recorded_at":"\(JSONValue.formatTimestamp(recordedAt))","counts":{\(counts.joined(separator: ","))}}
            """
    }
}
