import Crypto
import Foundation
import InternalEvents

/// The warehouse's writes on ClickHouse, which has no transactions, no `RETURNING` and no unique keys: what the
/// SQL warehouses get from those, these get from the order of inserts, ids derived from content, and lookups.
extension ClickHouseClient {
    /// Metric rows sent per insert.
    static let metricRowsPerInsert = 50_000

    /// A ping's id: the first 63 bits of SHA-256 of its instance and `recorded_at` (to the second), so the same
    /// ping always gets the same id, on every collector.
    static func pingID(uuid: String, recordedAt: Date) -> Int64 {
        let key = uuid + "\n" + ClickHouseLiteral.dateTimeText(recordedAt)
        let digest = SHA256.hash(data: Data(key.utf8))
        let bits = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) } & UInt64(Int64.max)
        return bits == 0 ? 1 : Int64(bits)
    }

    /// The id of a stored ping of this instance and time, if there is one.
    func storedPingID(uuid: String, recordedAt: Date) async throws -> Int64? {
        let result = try await select(
            "SELECT id FROM pings WHERE uuid = \(ClickHouseLiteral.string(uuid)) AND recorded_at = "
                + "\(ClickHouseLiteral.time(recordedAt)) LIMIT 1")
        guard case .integer(let id)? = result.rows.first?.first else { return nil }
        return id
    }

    /// Stores a ping: its metrics first, then its row, so a ping row is there only once all its metrics are; a
    /// store cut short is completed by the sender's retry (the rows it repeats are merged, being the same keys).
    func store(_ ping: ReceivedPing, receivedAt: Date) async throws -> Int64 {
        if let existing = try await storedPingID(uuid: ping.uuid, recordedAt: ping.recordedAt) { return existing }
        let id = Self.pingID(uuid: ping.uuid, recordedAt: ping.recordedAt)
        let recordedAt = JSONEachRowBody.time(ping.recordedAt)
        var start = 0
        while start < ping.metrics.count {
            var rows = JSONEachRowBody()
            for metric in ping.metrics[start..<min(start + Self.metricRowsPerInsert, ping.metrics.count)] {
                rows.append([
                    ("ping_id", .integer(id)), ("instance_uuid", .string(ping.uuid)),
                    ("hostname", JSONEachRowBody.text(ping.hostname)), ("metrics_path", .string(metric.path)),
                    ("metric_value", .double(metric.value)),
                    ("has_failed", .integer(metric.hasFailed ? 1 : 0)), ("recorded_at", recordedAt),
                ])
            }
            try await insert(into: "ping_metrics", jsonEachRow: rows.buffer)
            start += Self.metricRowsPerInsert
        }
        var row = JSONEachRowBody()
        row.append([
            ("id", .integer(id)), ("uuid", .string(ping.uuid)), ("hostname", JSONEachRowBody.text(ping.hostname)),
            ("version", JSONEachRowBody.text(ping.version)), ("edition", JSONEachRowBody.text(ping.edition)),
            ("recorded_at", recordedAt), ("received_at", JSONEachRowBody.time(receivedAt)),
            ("payload", .string(ping.payload)),
        ])
        try await insert(into: "pings", jsonEachRow: row.buffer)
        return id
    }

    func storeMetadata(_ body: String, uuid: String?, receivedAt: Date) async throws {
        var row = JSONEachRowBody()
        row.append([
            ("id", .integer(ClickHouseRowID.next())), ("uuid", JSONEachRowBody.text(uuid)),
            ("received_at", JSONEachRowBody.time(receivedAt)), ("payload", .string(body)),
        ])
        try await insert(into: "ping_metadata", jsonEachRow: row.buffer)
    }

    func storeError(_ report: PingErrorReport, receivedAt: Date) async throws {
        var row = JSONEachRowBody()
        row.append([
            ("id", .integer(ClickHouseRowID.next())), ("uuid", JSONEachRowBody.text(report.uuid)),
            ("hostname", JSONEachRowBody.text(report.hostname)), ("version", JSONEachRowBody.text(report.version)),
            ("message", JSONEachRowBody.text(report.message)), ("elapsed", JSONEachRowBody.double(report.elapsed)),
            ("received_at", JSONEachRowBody.time(receivedAt)), ("payload", .string(report.payload)),
        ])
        try await insert(into: "ping_errors", jsonEachRow: row.buffer)
    }

    /// Ids looked up per statement: a group's (64 requests of up to 1,000 events) in one.
    static let idsPerLookup = 100_000

    /// Which of `ids` (event ids: lowercase UUIDs, as `CollectedEvent` keeps them) are stored already.
    ///
    /// The ids go in as one string literal that the server splits: parsing thousands of literals of an `IN` list
    /// cost the server more than the lookup itself. The statement raises the server's size limit (256 KiB) for
    /// itself.
    func storedEventIDs(_ ids: [String]) async throws -> Set<String> {
        var stored: Set<String> = []
        var start = 0
        while start < ids.count {
            let slice = ids[start..<min(start + Self.idsPerLookup, ids.count)]
            let sql =
                "SELECT DISTINCT event_id FROM event_ids WHERE event_id IN "
                + "(SELECT arrayJoin(splitByChar(',', \(ClickHouseLiteral.string(slice.joined(separator: ",")))))) "
            let result = try await select(sql, settings: ["max_query_size": String(sql.utf8.count + 1_024)])
            for row in result.rows { if let id = row.first?.string { stored.insert(id) } }
            start += Self.idsPerLookup
        }
        return stored
    }

    /// The event writer's store on ClickHouse: the group's events whose ids aren't stored yet, in one insert (the
    /// event writer runs one group at a time per collector, so ids are looked up and written without a race in
    /// one process; copies that two collectors store at once are merged by `events`' engine), then its bad rows.
    func storeEventBatches(_ batches: [EventBatch]) async throws -> [CollectOutcome] {
        var seen = try await storedEventIDs(Array(Set(batches.flatMap { $0.events.map(\.eventID) })))
        var inserted: Set<String> = []
        var rows = JSONEachRowBody()
        rows.reserveCapacity(batches.reduce(0) { $0 + ($1.lines?.byteCount ?? 0) })
        for batch in batches {
            for (index, event) in batch.events.enumerated() where !seen.contains(event.eventID) {
                seen.insert(event.eventID)
                inserted.insert(event.eventID)
                if let lines = batch.lines {
                    rows.append(line: lines[index])
                } else {
                    Self.append(event, to: &rows)
                }
            }
        }
        if rows.count > 0 { try await insert(into: "events", jsonEachRow: rows.buffer) }
        let badRows = batches.flatMap(\.badRows)
        if !badRows.isEmpty {
            let receivedAt = ClickHouseLiteral.time(Date())
            let values = badRows.map { badRow in
                "(\(ClickHouseRowID.next()), \(receivedAt), \(ClickHouseLiteral.string(badRow.path)), "
                    + "\(ClickHouseLiteral.string(badRow.reason.rawValue)), \(ClickHouseLiteral.string(badRow.message)), "
                    + "\(badRow.rawSize), \(ClickHouseLiteral.bytes(badRow.raw)))"
            }
            try await execute(
                "INSERT INTO bad_rows (id, received_at, path, reason, message, raw_size, raw) VALUES "
                    + values.joined(separator: ", "))
        }
        return CollectOutcome.of(batches, inserted: inserted)
    }

    /// `EventSchema.eventColumns` as `JSONEachRow` keys.
    static let eventColumns = JSONEachRowBody.Columns(EventSchema.eventColumns)

    /// Appends an event as a `JSONEachRow` object, in `EventSchema.eventColumns` order.
    static func append(_ event: CollectedEvent, to rows: inout JSONEachRowBody) {
        let standard = event.standard
        rows.append(
            eventColumns,
            [
                .text(event.eventID), .text(event.event), .text(event.appID), .text(event.platform),
                .text(event.trackerName), .text(event.trackerVersion), .time(event.collectorTimestamp),
                .time(event.deviceCreatedTimestamp), .time(event.deviceSentTimestamp), .time(event.trueTimestamp),
                .time(event.derivedTimestamp), .text(event.category), .text(event.action), .text(event.label),
                .text(event.property), .double(event.value), .text(event.userID), .text(event.domainUserID),
                .text(event.domainSessionID), .integer(event.domainSessionIndex), .text(event.pageURL),
                .text(event.pageTitle), .text(event.pageReferrer), .text(event.userAgent),
                .text(standard?.pseudonymizedUserID), .integer(standard?.projectID), .integer(standard?.namespaceID),
                .text(standard?.environment), .text(standard?.source), .text(standard?.plan),
                .text(standard?.instanceID), .text(standard?.hostName), .text(standard?.instanceVersion),
                .text(standard?.extra), .text(event.contexts), .text(event.unstructuredEvent),
            ])
    }

    /// The warehouse's secret of this name: the one stored, or `fresh`, stored now. When two collectors store one
    /// at once, both read the smaller back.
    func setting(_ name: String, storingIfMissing fresh: String) async throws -> String {
        let query =
            "SELECT min(value) AS value, count() AS n FROM warehouse_settings WHERE name = "
            + ClickHouseLiteral.string(name)
        if let row = try await select(query).rows.first, row.count == 2, row[1] != .integer(0),
            let value = row[0].string
        {
            return value
        }
        var row = JSONEachRowBody()
        row.append([("name", .string(name)), ("value", .string(fresh))])
        try await insert(into: "warehouse_settings", jsonEachRow: row.buffer)
        guard let value = try await select(query).rows.first?.first?.string, !value.isEmpty else {
            throw WarehouseError("the warehouse kept no \(name)")
        }
        return value
    }
}
