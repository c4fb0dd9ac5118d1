import AsyncHTTPClient
import Foundation
import InternalEvents
import Logging
import NIOCore
import NIOFoundationCompat

/// Talks to ClickHouse through its HTTP interface: statements are posted in the body (or, for inserts,
/// in the `query` parameter, with the rows as the body); settings go in the URL.
///
/// Uses one HTTP client for the process, whose connections are kept alive between calls, so the value holds no
/// resources of its own and needs no shutdown. A server that refuses connections fails the call at once (no
/// retries of the connection until the deadline), so the collector answers 503 and the sender retries.
///
/// **Thread safety:** `Sendable`; calls may run concurrently. Calls suspend, never block a thread.
public struct ClickHouseClient: Sendable {
    public let configuration: ClickHouseConfiguration
    /// How long one statement may take, from the request's start to its last byte.
    public var timeout: Duration
    let http: HTTPClient

    public init(_ configuration: ClickHouseConfiguration, timeout: Duration = .seconds(60)) {
        self.configuration = configuration
        self.timeout = timeout
        self.http = Self.sharedHTTPClient
    }

    /// The process's client for ClickHouse: connections fail fast (5 s to connect, no reconnect loop). Never shut
    /// down: it lives as long as the process, like AsyncHTTPClient's own `shared`.
    static let sharedHTTPClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(5))
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// Runs one statement and returns the server's answer as sent.
    /// - Parameters:
    ///   - inDatabase: run it in the configured database (false for `CREATE DATABASE`).
    ///   - settings: ClickHouse settings for this statement (`readonly`, `max_execution_time`, …).
    ///   - body: rows to insert; the statement then goes in the URL.
    ///   - node: which of the configuration's servers runs it (the first unless a shard is named).
    @discardableResult
    public func execute(
        _ sql: String, inDatabase: Bool = true, settings: [String: String] = [:], body: ByteBuffer? = nil,
        node: Int = 0
    ) async throws -> ByteBuffer {
        var query = [("user", configuration.user)]
        if !configuration.password.isEmpty { query.append(("password", configuration.password)) }
        if inDatabase { query.append(("database", configuration.database)) }
        var settings = settings
        if configuration.cluster != nil {
            // An insert answers once every shard has its rows (so a 2xx still means stored), and a subquery
            // over a `Distributed` table is read whole by the server that runs the query (so it sees every shard).
            settings["insert_distributed_sync"] = settings["insert_distributed_sync"] ?? "1"
            settings["distributed_product_mode"] = settings["distributed_product_mode"] ?? "global"
        }
        for (name, value) in settings.sorted(by: { $0.key < $1.key }) { query.append((name, value)) }
        if body != nil { query.append(("query", sql)) }
        let parameters = query.map { "\($0)=\(Self.percentEncoded($1))" }.joined(separator: "&")
        let url = configuration.endpoint(node) + "?" + parameters
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.body = .bytes(body ?? ByteBuffer(string: sql))
        let response = try await http.execute(request, timeout: .init(timeout))
        let answer = try await response.body.collect(upTo: 1 << 30)
        guard response.status == .ok else {
            throw ClickHouseError(status: Int(response.status.code), body: String(buffer: answer))
        }
        return answer
    }

    /// Runs a `SELECT` (or another statement that returns rows) and reads its answer (`FORMAT JSONCompact`).
    public func select(_ sql: String, settings: [String: String] = [:]) async throws -> ClickHouseResult {
        // Trimmed by characters: Foundation's trimming bridges the whole text (an id lookup's is 250 KB).
        var statement = Substring(sql)
        while let first = statement.first, first.isWhitespace { statement = statement.dropFirst() }
        while let last = statement.last, last.isWhitespace || last == ";" { statement = statement.dropLast() }
        var settings = settings
        settings["output_format_json_quote_64bit_integers"] = "0"
        let answer = try await execute(statement + "\nFORMAT JSONCompact", settings: settings)
        return try ClickHouseResult(json: answer)
    }

    /// Inserts rows, one JSON object per line (`FORMAT JSONEachRow`); keys the table lacks are skipped, times may
    /// be ISO 8601.
    public func insert(into table: String, jsonEachRow rows: ByteBuffer) async throws {
        try await execute(
            "INSERT INTO \(table) FORMAT JSONEachRow",
            settings: ["input_format_skip_unknown_fields": "1", "date_time_input_format": "best_effort"],
            body: rows)
    }

    static func percentEncoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

/// What ClickHouse answered to a failed statement: its error code and message (`Code: 60, e.displayText() = …`).
public struct ClickHouseError: Error, CustomStringConvertible {
    public var status: Int
    /// ClickHouse's error code (60: unknown table, 62: syntax error, 164: read-only, …), when the answer had one.
    public var code: Int?
    public var message: String

    init(status: Int, body: String) {
        self.status = status
        let text = body.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("Code: "), let comma = text.firstIndex(of: ",") {
            code = Int(text[text.index(text.startIndex, offsetBy: 6)..<comma])
        }
        // 18.16 says "Code: N, e.displayText() = DB::Exception: MESSAGE, e.what() = DB::Exception"; newer servers
        // "Code: N. DB::Exception: MESSAGE. (NAME) (version …)".
        var message = text
        if let range = message.range(of: "DB::Exception: ") { message = String(message[range.upperBound...]) }
        if let range = message.range(of: ", e.what() = ", options: .backwards) {
            message = String(message[..<range.lowerBound])
        }
        self.message = message
    }

    public var description: String {
        "ClickHouse refused the statement" + (code.map { " (code \($0))" } ?? " (HTTP \(status))") + ": \(message)"
    }
}

/// Rows a ClickHouse `SELECT` returned, with their columns' names and ClickHouse types.
public struct ClickHouseResult: Sendable {
    public var columns: [String]
    public var types: [String]
    public var rows: [[JSONValue]]

    init(json: ByteBuffer) throws {
        let document = try JSONDecoder().decode(JSONValue.self, from: Data(buffer: json))
        guard case .array(let meta)? = document["meta"], case .array(let data)? = document["data"] else {
            throw ClickHouseError(status: 200, body: "an answer without meta and data: \(String(buffer: json))")
        }
        columns = meta.map { $0["name"]?.string ?? "" }
        types = meta.map { $0["type"]?.string ?? "String" }
        let types = types
        rows = data.map { row in
            guard case .array(let cells) = row else { return [] }
            return zip(cells, types).map { Self.value($0, type: $1) }
        }
    }

    /// A cell as Tally reports it: integers as integers (64-bit ones arrive quoted), floats as doubles,
    /// `DateTime` as a time, other types as ClickHouse printed them.
    static func value(_ cell: JSONValue, type: String) -> JSONValue {
        if case .null = cell { return .null }
        let base = baseType(type)
        if base.hasPrefix("Int") || base.hasPrefix("UInt") {
            switch cell {
            case .integer: return cell
            case .string(let text): return Int64(text).map(JSONValue.integer) ?? cell
            case .double(let value): return Int64(exactly: value).map(JSONValue.integer) ?? cell
            default: return cell
            }
        }
        if base.hasPrefix("Float") || base.hasPrefix("Decimal") {
            switch cell {
            case .integer(let value): return .double(Double(value))
            case .string(let text): return Double(text).map(JSONValue.double) ?? cell
            default: return cell
            }
        }
        if base.hasPrefix("DateTime"), case .string(let text) = cell, let date = parseDateTime(text) {
            return .timestamp(date)
        }
        return cell
    }

    /// The type inside `Nullable(…)` and `LowCardinality(…)`.
    static func baseType(_ type: String) -> Substring {
        var base = Substring(type)
        for wrapper in ["Nullable(", "LowCardinality("] where base.hasPrefix(wrapper) && base.hasSuffix(")") {
            base = base.dropFirst(wrapper.count).dropLast()
        }
        return base
    }

    /// A `DateTime` as ClickHouse prints one in UTC (`YYYY-MM-DD hh:mm:ss`) or as Tally reports it
    /// (`YYYY-MM-DDThh:mm:ss.000Z`), to the second.
    static func parseDateTime(_ text: String) -> Date? {
        let parts = text.split(whereSeparator: { "- :TZ.".contains($0) }).prefix(6).compactMap { Int($0) }
        guard parts.count == 6 else { return nil }
        let days = ISOWeek.day(year: parts[0], month: parts[1], day: parts[2])
        return Date(timeIntervalSince1970: Double(days * 86_400 + parts[3] * 3600 + parts[4] * 60 + parts[5]))
    }
}
