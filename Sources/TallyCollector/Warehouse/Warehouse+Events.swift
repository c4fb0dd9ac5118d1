import Crypto
import Foundation
import InternalEvents
import SQLKit
import ServicePing

/// What one tracker request came to: events stored, events already stored (a retry), and bad rows.
struct CollectOutcome: Sendable, Equatable {
    var stored = 0
    var duplicates = 0
    var badRows = 0

    /// Each batch's outcome once the ids in `inserted` were stored: a new id counts for the first batch that holds
    /// it; every other copy is a duplicate.
    static func of(_ batches: [EventBatch], inserted: Set<String>) -> [CollectOutcome] {
        var inserted = inserted
        return batches.map { batch in
            var outcome = CollectOutcome(badRows: batch.badRows.count)
            for event in batch.events {
                if inserted.remove(event.eventID) != nil {
                    outcome.stored += 1
                } else {
                    outcome.duplicates += 1
                }
            }
            return outcome
        }
    }
}

/// One request's events and bad rows, stored together.
struct EventBatch: Sendable {
    var events: [CollectedEvent]
    var badRows: [BadRow]
    /// The events as `JSONEachRow` lines, one per event, when the warehouse is ClickHouse: written by the request's
    /// own task before it joins a group, so the group's leader only copies the lines it stores.
    var lines: JSONEachRowLines?

    init(events: [CollectedEvent], badRows: [BadRow]) {
        self.events = events
        self.badRows = badRows
    }
}

extension Warehouse {
    /// Event rows inserted per statement (36 values each: under SQLite's and PostgreSQL's bound-parameter limits).
    static let eventRowsPerInsert = 400

    /// Stores a request's events and bad rows, durably, before returning; an event whose `event_id` is already
    /// stored counts as a duplicate and is not stored again.
    func collect(_ batch: EventBatch) async throws -> CollectOutcome {
        let warehouse = self
        if case .clickhouse(let clickhouse) = configuration.kind {
            var batch = batch
            batch.lines = JSONEachRowLines(batch.events)
            return try await shared.events.write(batch) { batches in
                try await ClickHouseClient(clickhouse).storeEventBatches(batches)
            }
        }
        // One connection for all rounds of a leader: opening one per round (connect, authenticate, a fresh
        // PostgreSQL backend) cost more than the round's inserts.
        return try await shared.events.write(batch) { rounds in
            try await warehouse.writing { database in
                await rounds { batches in try await Self.storeEventBatches(batches, in: warehouse, on: database) }
            }
        }
    }

    /// The event writer's store: all batches in one transaction on `database`.
    static func storeEventBatches(
        _ batches: [EventBatch], in warehouse: Warehouse, on database: WarehouseDatabase
    ) async throws -> [CollectOutcome] {
        try await warehouse.transaction(database) {
            var inserted: Set<String> = []
            let events = batches.flatMap(\.events)
            var start = 0
            while start < events.count {
                let slice = events[start..<min(start + Self.eventRowsPerInsert, events.count)]
                var insert = database.sql.insert(into: "events").columns(EventSchema.eventColumns)
                for event in slice { insert = insert.values(database.row(of: event)) }
                let rows = try await insert.ignoringConflicts(with: "event_id").returning("event_id").allRows()
                for row in rows { inserted.insert(try row.decode(column: "event_id", as: String.self)) }
                start += Self.eventRowsPerInsert
            }
            let receivedAt = Date()
            for badRow in batches.flatMap(\.badRows) {
                try await database.sql.insert(into: "bad_rows")
                    .columns("received_at", "path", "reason", "message", "raw_size", "raw")
                    .values(
                        database.time(receivedAt), SQLBind(badRow.path), SQLBind(badRow.reason.rawValue),
                        SQLBind(badRow.message), SQLBind(badRow.rawSize), SQLBind(badRow.raw)
                    ).run()
            }
            // Each new event id counts for the first batch that holds it; every other copy is a duplicate.
            return CollectOutcome.of(batches, inserted: inserted)
        }
    }

    /// The pseudonymizer of trackers' `uid`: Base64(SHA-256(uid + the warehouse's secret)), the secret made once per
    /// warehouse (`warehouse_settings`) so one user keeps one pseudonym across restarts.
    func uidPseudonymizer() async throws -> UIDPseudonymizer {
        if let cached = shared.pseudonymizer.withLockedValue({ $0 }) { return cached }
        let name = "uid_pseudonymization_secret"
        let fresh = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let secret: String
        if case .clickhouse(let clickhouse) = configuration.kind {
            secret = try await ClickHouseClient(clickhouse).setting(name, storingIfMissing: fresh)
        } else {
            secret = try await sqlSetting(name, storingIfMissing: fresh)
        }
        let pseudonymizer = UIDPseudonymizer(salt: secret)
        shared.pseudonymizer.withLockedValue { $0 = pseudonymizer }
        return pseudonymizer
    }

    /// A warehouse setting of SQLite or PostgreSQL: the one stored, or `fresh`, stored now.
    private func sqlSetting(_ name: String, storingIfMissing fresh: String) async throws -> String {
        try await writing { database in
            try await database.sql.insert(into: "warehouse_settings").columns("name", "value")
                .values(SQLBind(name), SQLBind(fresh)).ignoringConflicts(with: "name").run()
            guard
                let value = try await database.sql.select().column("value").from("warehouse_settings")
                    .where("name", .equal, SQLBind(name)).firstRow()?.decode(column: "value", as: String.self)
            else { throw WarehouseError("the warehouse kept no pseudonymization secret") }
            return value
        }
    }
}

/// Pseudonymizes the user ids trackers send in `uid`; the secret is never logged.
struct UIDPseudonymizer: Sendable {
    let salt: String

    func pseudonym(for uid: String) -> String {
        Data(SHA256.hash(data: Data((uid + salt).utf8))).base64EncodedString()
    }
}

extension WarehouseDatabase {
    /// An event's values in `EventSchema.eventColumns` order.
    func row(of event: CollectedEvent) -> [any SQLExpression] {
        func text(_ value: String?) -> any SQLExpression { value.map { SQLBind($0) } ?? SQLLiteral.null }
        func time(_ value: Date?) -> any SQLExpression { value.map { self.time($0) } ?? SQLLiteral.null }
        func integer(_ value: Int64?) -> any SQLExpression { value.map { SQLBind($0) } ?? SQLLiteral.null }
        let standard = event.standard
        return [
            SQLBind(event.eventID), SQLBind(event.event), text(event.appID), SQLBind(event.platform),
            text(event.trackerName), SQLBind(event.trackerVersion), self.time(event.collectorTimestamp),
            time(event.deviceCreatedTimestamp), time(event.deviceSentTimestamp), time(event.trueTimestamp),
            self.time(event.derivedTimestamp), text(event.category), text(event.action), text(event.label),
            text(event.property), event.value.map { SQLBind($0) } ?? SQLLiteral.null, text(event.userID),
            text(event.domainUserID), text(event.domainSessionID), integer(event.domainSessionIndex),
            text(event.pageURL), text(event.pageTitle), text(event.pageReferrer), text(event.userAgent),
            text(standard?.pseudonymizedUserID), integer(standard?.projectID), integer(standard?.namespaceID),
            text(standard?.environment), text(standard?.source), text(standard?.plan), text(standard?.instanceID),
            text(standard?.hostName), text(standard?.instanceVersion), text(standard?.extra),
            SQLBind(event.contexts), text(event.unstructuredEvent),
        ]
    }
}
