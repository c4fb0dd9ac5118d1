import Foundation
import InternalEvents
import TallyTestSupport
import Testing

@testable import TallyCollector

/// The one function that writes values into ClickHouse SQL (18.16 has no query parameters), checked against a
/// real server: hostile strings come back exactly as they went, and none reaches the server as SQL.
@Suite("ClickHouse literals")
struct ClickHouseLiteralTests {
    /// Characters that end, bend or comment out a literal, plus text and controls.
    static let alphabet: [String] = [
        "'", "\\", "\"", "`", "$1", "$2", "--", "/*", "*/", ";", "?", "{x:String}", "\0", "\n", "\r", "\t",
        "\u{7}", "\u{1B}", "\u{7F}", "\\'", "''", "a", "Z", "0", " ", "é", "字", "🙂", "\u{200B}", "%", "_",
        "'); DROP TABLE canary; --", "' OR '1'='1", "\\x41", "\\0",
    ]

    static func hostileStrings(count: Int, seed: UInt64) -> [String] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in
            (0..<Int.random(in: 0...12, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
                .joined()
        }
    }

    @Test(.enabled(if: ClickHouseServer.shouldRunSuites, "ClickHouse is not installed (CI=true makes this a failure)"))
    func hostileStringsComeBackExactlyAndRunNoSQL() async throws {
        let server = try await ClickHouseServer.shared()
        let configuration = try ClickHouseConfiguration(
            url: server.url(database: "literals_\(UInt32.random(in: 0...UInt32.max))"))
        let client = ClickHouseClient(configuration)
        try await client.execute("CREATE DATABASE \(configuration.database)", inDatabase: false)
        try await client.execute("CREATE TABLE canary (x UInt8) ENGINE = TinyLog")
        try await client.execute("INSERT INTO canary VALUES (1)")
        let strings = Self.hostileStrings(count: 3_000, seed: 20_261_202)
        for start in stride(from: 0, to: strings.count, by: 250) {
            let slice = Array(strings[start..<min(start + 250, strings.count)])
            let list = slice.map { ClickHouseLiteral.string($0) }.joined(separator: ", ")
            let result = try await client.select("SELECT arrayJoin([\(list)]) AS s")
            #expect(result.rows.map { $0.first?.string } == slice.map(Optional.some))
            // Through the statement builder too: binds substituted into SQLKit's text.
            let bound = try ClickHouseLiteral.substitute(
                slice.prefix(20).map { $0 },
                into:
                    "SELECT [" + (1...min(20, slice.count)).map { "$\($0)" }.joined(separator: ", ") + "] AS a")
            let array = try await client.select(bound)
            #expect(array.rows.first?.first?.array?.map(\.string) == slice.prefix(20).map(Optional.some))
        }
        let canary = try await client.select("SELECT count() AS n FROM canary")
        #expect(canary.rows == [[.integer(1)]])
    }

    @Test func bytesTimesAndNumbersAreLiterals() throws {
        #expect(ClickHouseLiteral.bytes([0x00, 0xFF, 0x27]) == "unhex('00FF27')")
        #expect(
            ClickHouseLiteral.time(Date(timeIntervalSince1970: 1_700_000_000.9))
                == "toDateTime('2023-11-14 22:13:20', 'UTC')")
        #expect(ClickHouseLiteral.double(.nan) == "nan")
        #expect(ClickHouseLiteral.double(-.infinity) == "-inf")
        #expect(try ClickHouseLiteral.literal(for: Optional<String>.none) == "NULL")
        #expect(try ClickHouseLiteral.literal(for: Optional("it's")) == #"'it\'s'"#)
        #expect(try ClickHouseLiteral.literal(for: true) == "1")
        #expect(try ClickHouseLiteral.literal(for: Int64.min) == "-9223372036854775808")
    }

    @Test func placeholdersAreReplacedOnlyOutsideQuotesAndComments() throws {
        let sql = """
            SELECT $1, '$1', "$2", `$1`, 'a\\'$1', $2 -- $1
            /* $2 */ FROM t WHERE x = $10
            """
        let binds: [any Encodable & Sendable] = ["one", 2, 3, 4, 5, 6, 7, 8, 9, "ten"]
        #expect(
            try ClickHouseLiteral.substitute(binds, into: sql) == """
                SELECT 'one', '$1', "$2", `$1`, 'a\\'$1', 2 -- $1
                /* $2 */ FROM t WHERE x = 'ten'
                """)
        #expect(throws: ClickHouseLiteral.Unsupported.self) {
            try ClickHouseLiteral.substitute(["x"], into: "SELECT $2")
        }
        #expect(try ClickHouseLiteral.substitute([], into: "SELECT '$1'") == "SELECT '$1'")
    }

    @Test func urlsAreReadAndBadOnesNamed() throws {
        let full = try ClickHouseConfiguration(url: "clickhouse://reader:s3cret@ch.example.com:8124/analytics")
        #expect(
            full
                == ClickHouseConfiguration(
                    host: "ch.example.com", port: 8124, user: "reader", password: "s3cret", database: "analytics"))
        #expect(full.redactedURL == "clickhouse://reader:***@ch.example.com:8124/analytics")
        #expect(
            try ClickHouseConfiguration(url: "clickhouse://localhost") == ClickHouseConfiguration(host: "localhost"))
        let sharded = try ClickHouseConfiguration(url: "clickhouse://u:p%40ss@10.0.0.1:8123,[::1]:9000/w?cluster=two")
        #expect(
            sharded
                == ClickHouseConfiguration(
                    nodes: [.init(host: "10.0.0.1"), .init(host: "::1", port: 9000)], user: "u", password: "p@ss",
                    database: "w", cluster: "two"))
        #expect(sharded.redactedURL == "clickhouse://u:***@10.0.0.1:8123,[::1]:9000/w?cluster=two")
        #expect(sharded.endpoint(1) == "http://[::1]:9000/")
        for (url, message) in [
            ("clickhouse:///db", "expected clickhouse://"), ("clickhouse://h/bad-name", "database name"),
            ("clickhouse://h/db?shards=2", "unknown parameter"), ("clickhouse://h1,h2/db", "need ?cluster="),
            ("clickhouse://h1,/db", "host \"\""), ("clickhouse://h/db?cluster=a-b", "cluster name"),
        ] {
            #expect {
                _ = try ClickHouseConfiguration(url: url)
            } throws: { error in
                "\(error)".contains(message)
            }
        }
        #expect(try WarehouseConfiguration(url: "clickhouse://h:1/db").dialect == .clickhouse)
        #expect {
            _ = try WarehouseConfiguration(url: "clickhouse://u:pw@h/bad-name")
        } throws: { error in
            "\(error)".contains("***") && !"\(error)".contains("pw")
        }
    }
}
