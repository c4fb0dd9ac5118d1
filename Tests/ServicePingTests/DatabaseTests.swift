import Foundation
import InternalEvents
import SQLKit
import ServicePing
import TallyTestSupport
import Testing

/// The databases every database test runs on: an SQLite file, and a real PostgreSQL server.
enum TestDatabases {
    static func all() async throws -> [(name: String, configuration: DatabaseConfiguration)] {
        let directory = try TestEnvironment.makeTemporaryDirectory("tally-sqlite")
        var databases = [("sqlite", try DatabaseConfiguration(url: "sqlite://\(directory.path)/tally.sqlite"))]
        if PostgresServer.shouldRunSuites {
            databases.append(("postgres", try DatabaseConfiguration(url: await PostgresServer.shared().url)))
        }
        return databases
    }

    /// A table of notes: ids 1...count, `author_id` = id % 7, `state` active for even ids, `size` = id, and
    /// `created_at` = `now` minus id hours.
    static func makeNotes(_ database: AppDatabase, count: Int, now: Date) async throws -> String {
        let table = "notes_" + UUID().uuidString.prefix(8).lowercased()
        switch database.dialect {
        case .sqlite:
            try await database.sql.raw(
                "CREATE TABLE \(ident: table) (id INTEGER PRIMARY KEY, author_id INTEGER, state TEXT, size INTEGER, created_at TEXT)"
            ).run()
        case .postgres:
            try await database.sql.raw(
                "CREATE TABLE \(ident: table) (id BIGINT PRIMARY KEY, author_id BIGINT, state TEXT, size BIGINT, created_at TIMESTAMPTZ)"
            ).run()
        }
        for id in 1...count {
            let created = now.addingTimeInterval(-Double(id) * 3_600)
            let createdValue: SQLQueryString =
                database.dialect == .sqlite ? "\(bind: BatchCounter.sqliteTime(created))" : "\(bind: created)"
            try await database.sql.raw(
                """
                INSERT INTO \(ident: table) (id, author_id, state, size, created_at)
                VALUES (\(bind: id), \(bind: id % 7), \(bind: id % 2 == 0 ? "active" : "blocked"), \(bind: id), \(createdValue))
                """
            ).run()
        }
        return table
    }
}

@Suite("Database metrics and storage", .enabled(if: PostgresServer.shouldRunSuites || true, "SQLite always runs"))
struct DatabaseTests {
    let now = Date(timeIntervalSince1970: 1_740_045_600)  // 2025-02-20T10:00Z

    static func spec(_ options: String) throws -> DatabaseMetricSpec {
        let folder = try DefinitionFolder()
        try folder.write("events/e.yml", DefinitionFolder.event("test_event"))
        try folder.write(
            "metrics/m.yml",
            DefinitionFolder.databaseMetric("m", extra: "options:\n" + options))
        let metric = try #require(try DefinitionLoader().load(from: [folder.url]).metrics.first)
        return try DatabaseMetricSpec(options: metric.options)
    }

    @Test func batchCountingMatchesPlainSQL() async throws {
        for (name, configuration) in try await TestDatabases.all() {
            let now = now
            try await AppDatabase.withDatabase(configuration) { database in
                let table = try await TestDatabases.makeNotes(database, count: 1_000, now: now)
                var small = BatchCounter.Settings()
                small.countBatchSize = 37
                small.distinctBatchSize = 3
                small.sumBatchSize = 11
                small.pause = .zero
                for settings in [BatchCounter.Settings(), small] {
                    let counter = BatchCounter(database: database, settings: settings)
                    let all = try Self.spec("  table: \(table)\n")
                    #expect(try await counter.value(of: all, window: nil) == .integer(1_000), "\(name)")
                    let active = try Self.spec("  table: \(table)\n  conditions:\n    state: active\n")
                    #expect(try await counter.value(of: active, window: nil) == .integer(500), "\(name)")
                    let authors = try Self.spec("  table: \(table)\n  operation: distinct_count\n  column: author_id\n")
                    #expect(try await counter.value(of: authors, window: nil) == .integer(7), "\(name)")
                    let sum = try Self.spec("  table: \(table)\n  operation: sum\n  column: size\n")
                    #expect(try await counter.value(of: sum, window: nil) == .double(500_500), "\(name)")
                    let average = try Self.spec("  table: \(table)\n  operation: average\n  column: size\n")
                    #expect(try await counter.value(of: average, window: nil) == .double(500.5), "\(name)")
                    // GitLab's windows: 7d = created 9..2 days ago (hours 48...216), 28d = 30..2 days ago (48...720).
                    let weekly = try #require(DatabaseTimeWindow.bounds(for: .sevenDays, at: now))
                    #expect(try await counter.value(of: all, window: weekly) == .integer(169), "\(name)")
                    let monthly = try #require(DatabaseTimeWindow.bounds(for: .twentyEightDays, at: now))
                    #expect(try await counter.value(of: all, window: monthly) == .integer(673), "\(name)")
                }
            }
        }
    }

    @Test func tooManyBatchesAndBadTablesFallBack() async throws {
        for (name, configuration) in try await TestDatabases.all() {
            let now = now
            try await AppDatabase.withDatabase(configuration) { database in
                let table = try await TestDatabases.makeNotes(database, count: 50, now: now)
                var settings = BatchCounter.Settings()
                settings.countBatchSize = 2
                settings.maximumLoops = 10
                settings.pause = .zero
                let counter = BatchCounter(database: database, settings: settings)
                let tooMany = try Self.spec("  table: \(table)\n")
                do throws(MetricFailure) {
                    _ = try await counter.value(of: tooMany, window: nil)
                    Issue.record("\(name): 25 batches passed a limit of 10")
                } catch {
                    #expect(error.fallback == -1)
                    #expect(error.message.contains("exceed the limit of 10"))
                }
                let missing = try Self.spec("  table: no_such_table\n")
                do throws(MetricFailure) {
                    _ = try await counter.value(of: missing, window: nil)
                    Issue.record("\(name): a missing table counted")
                } catch {
                    #expect(error.fallback == -1)
                    #expect(error.message.hasPrefix("database:"))
                }
            }
        }
    }

    @Test(arguments: [
        ("  operation: count\n", "options.table is missing"),
        ("  table: notes; DROP TABLE x\n", "not a plain SQL identifier"),
        ("  table: notes\n  operation: median\n", "not one of count, distinct_count, sum, average"),
        ("  table: notes\n  operation: sum\n", "options.column is required for sum"),
        ("  table: notes\n  conditions:\n    \"a b\": 1\n", "not a plain SQL identifier"),
        ("  table: notes\n  conditions: [1]\n", "must be a mapping"),
    ])
    func badSpecsAreNamed(options: String, message: String) throws {
        do {
            _ = try Self.spec(options)
            Issue.record("accepted: \(options)")
        } catch let failure as MetricFailure {
            #expect(failure.message.contains(message), "\(failure.message)")
        }
    }

    @Test func rawUsageDataKeepsOnePingPerRecordedAt() async throws {
        for (name, configuration) in try await TestDatabases.all() {
            let now = now
            try await AppDatabase.withDatabase(configuration) { database in
                let store = RawUsageDataStore(database)
                try await store.migrate()
                try await store.migrate()
                let recordedAt = now.addingTimeInterval(Double.random(in: 0..<1_000_000).rounded())
                #expect(try await store.insert(recordedAt: recordedAt, payload: #"{"a":1}"#), "\(name)")
                #expect(try await store.insert(recordedAt: recordedAt, payload: #"{"a":2}"#) == false, "\(name)")
                let unsent = try await store.unsent().filter { $0.recordedAt == recordedAt }
                #expect(unsent.count == 1)
                #expect(unsent.first?.payload == #"{"a":1}"#)
                try await store.markSent(recordedAt: recordedAt, usageDataID: 77)
                #expect(try await store.unsent().contains { $0.recordedAt == recordedAt } == false)
                // (Other tests store rows in the same database: look this one up by its time.)
                let stored = try await store.all().first { $0.recordedAt == recordedAt }
                #expect(stored?.usageDataID == 77 && stored?.sentAt != nil, "\(name)")
            }
        }
    }

    @Test("a week's ping is stored once: the insert checks for one since the week's run in the same statement")
    func insertUnlessStoredSince() async throws {
        for (name, configuration) in try await TestDatabases.all() {
            // Far in the future, where no other test stores anything.
            let week = Date(timeIntervalSince1970: 4_102_444_800 + Double(Int.random(in: 0..<100_000)) * 604_800)
            try await AppDatabase.withDatabase(configuration) { database in
                let store = RawUsageDataStore(database)
                try await store.migrate()
                let first = try await store.insert(
                    recordedAt: week.addingTimeInterval(60), payload: "{}", unlessStoredSince: week)
                let second = try await store.insert(
                    recordedAt: week.addingTimeInterval(120), payload: "{}", unlessStoredSince: week)
                let nextWeek = try await store.insert(
                    recordedAt: week.addingTimeInterval(604_860), payload: "{}",
                    unlessStoredSince: week.addingTimeInterval(604_800))
                #expect(first && !second && nextWeek, "\(name)")
            }
        }
    }
}

/// GitLab's answer to a statement timeout: halve the batch and retry, down to a minimum, then -1.
@Suite(
    "Batch counter under statement timeouts",
    .enabled(if: PostgresServer.shouldRunSuites, "PostgreSQL is not installed (CI=true makes this a failure)"))
struct StatementTimeoutTests {
    @Test func batchesHalveDownToTheMinimumThenFallBack() async throws {
        let configuration = try DatabaseConfiguration(url: await PostgresServer.shared().url)
        try await AppDatabase.withDatabase(configuration) { database in
            let table = try await TestDatabases.makeNotes(database, count: 40, now: Date())
            let slow = table + "_slow"
            // Every row takes 50 ms to read, so with a 20 ms statement timeout every batch times out, deterministically.
            try await database.sql.raw(
                "CREATE VIEW \(ident: slow) AS SELECT id, (SELECT 1 FROM pg_sleep(0.05) WHERE id IS NOT NULL) AS pause FROM \(ident: table)"
            ).run()
            try await database.sql.raw("SET statement_timeout = 20").run()
            var settings = BatchCounter.Settings()
            settings.countBatchSize = 32
            settings.minimumRetryBatchSize = 4
            settings.pause = .zero
            // Fixed bounds (GitLab's start/finish), so only the batches themselves meet the timeout.
            let spec = try DatabaseTests.spec("  table: \(slow)\n  start: 1\n  finish: 40\n")
            do throws(MetricFailure) {
                _ = try await BatchCounter(database: database, settings: settings).value(of: spec, window: nil)
                Issue.record("a query slower than the statement timeout succeeded")
            } catch {
                #expect(error.fallback == -1)
                // 32 → 16 → 8 → 4; halving 4 would go below the minimum of 4: give up there.
                #expect(error.message.contains("statement timeout at batch size 4"), "\(error.message)")
            }
            try await database.sql.raw("RESET statement_timeout").run()
        }
    }
}
