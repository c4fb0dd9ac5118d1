import Foundation
import InternalEvents
import NIOConcurrencyHelpers
import NIOCore

/// Rows for `INSERT … FORMAT JSONEachRow`: one JSON object per line, written byte by byte into one array (thousands
/// of event rows per request, so nothing is made per cell but its bytes).
struct JSONEachRowBody {
    private(set) var bytes: [UInt8] = []
    private(set) var count = 0

    /// The body to send.
    var buffer: ByteBuffer { ByteBuffer(bytes: bytes) }

    /// Appends a row of `JSONValue`s (pings, settings: a few rows per request).
    mutating func append(_ fields: [(key: String, value: JSONValue)]) {
        bytes.append(contentsOf: JSONValue.object(fields).serialized().utf8)
        bytes.append(UInt8(ascii: "\n"))
        count += 1
    }

    /// Appends a row of `cells` under `columns`, one to one.
    mutating func append(_ columns: Columns, _ cells: [Cell]) {
        precondition(cells.count == columns.keys.count, "a row needs one cell per column")
        var separator = UInt8(ascii: "{")
        for (key, cell) in zip(columns.keys, cells) {
            bytes.append(separator)
            separator = UInt8(ascii: ",")
            bytes.append(contentsOf: key)
            switch cell {
            case .text(let text?): appendString(text)
            case .time(let date?): appendTime(date)
            case .integer(let value?): bytes.append(contentsOf: String(value).utf8)
            case .double(let value?) where value.isFinite: bytes.append(contentsOf: String(value).utf8)
            case .text(nil), .time(nil), .integer(nil), .double: bytes.append(contentsOf: Self.null)
            }
        }
        bytes.append(UInt8(ascii: "}"))
        bytes.append(UInt8(ascii: "\n"))
        count += 1
    }

    /// Appends a line written before (with its newline).
    mutating func append(line: ArraySlice<UInt8>) {
        bytes.append(contentsOf: line)
        count += 1
    }

    mutating func reserveCapacity(_ byteCount: Int) { bytes.reserveCapacity(byteCount) }

    private static let null = Array("null".utf8)

    /// Column names written once as `"name":`, for `append(_:_:)`.
    struct Columns: Sendable {
        let keys: [[UInt8]]

        init(_ names: [String]) {
            keys = names.map { Array(JSONValue.string($0).serialized().utf8) + [UInt8(ascii: ":")] }
        }
    }

    /// One cell of a row; nil (and a non-finite double, which JSON can't carry) is `null`.
    enum Cell {
        case text(String?)
        /// A `DateTime('UTC')`: whole seconds, kept within the type's range (1970 to 2105).
        case time(Date?)
        case integer(Int64?)
        case double(Double?)
    }

    /// `text` as a JSON string: `"`, `\` and control characters escaped.
    private mutating func appendString(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(byte)
            case UInt8(ascii: "\n"):
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(UInt8(ascii: "n"))
            case UInt8(ascii: "\r"):
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(UInt8(ascii: "r"))
            case UInt8(ascii: "\t"):
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(UInt8(ascii: "t"))
            case 0..<0x20:
                bytes.append(contentsOf: [
                    UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                    Self.hexDigit(byte >> 4), Self.hexDigit(byte & 0xF),
                ])
            default:
                bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10
    }

    /// `"YYYY-MM-DD hh:mm:ss"` in UTC, the text `ClickHouseLiteral.dateTimeText` gives, digit by digit.
    private mutating func appendTime(_ date: Date) {
        let seconds = Int64(min(max(date.timeIntervalSince1970, 0), 4_294_967_295).rounded(.down))
        let days = seconds / 86_400
        let civil = ISOWeek.civilDate(fromDay: Int(days))
        let within = Int(seconds - days * 86_400)
        bytes.append(UInt8(ascii: "\""))
        appendDigits(civil.year, 4)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(civil.month, 2)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(civil.day, 2)
        bytes.append(UInt8(ascii: " "))
        appendDigits(within / 3600, 2)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(within % 3600 / 60, 2)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(within % 60, 2)
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendDigits(_ value: Int, _ count: Int) {
        var divisor = 1
        for _ in 1..<count { divisor *= 10 }
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
            divisor /= 10
        }
    }

    /// A time as a `DateTime('UTC')` cell, whole seconds, kept within the type's range (1970 to 2105).
    static func time(_ date: Date) -> JSONValue {
        let seconds = min(max(date.timeIntervalSince1970, 0), 4_294_967_295)
        return .string(ClickHouseLiteral.dateTimeText(Date(timeIntervalSince1970: seconds)))
    }

    static func time(_ date: Date?) -> JSONValue { date.map { time($0) } ?? .null }
    static func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
    static func integer(_ value: Int64?) -> JSONValue { value.map(JSONValue.integer) ?? .null }
    /// A double; NaN and infinities, which JSON can't carry, as null.
    static func double(_ value: Double?) -> JSONValue {
        guard let value, value.isFinite else { return .null }
        return .double(value)
    }
}

/// Events written as `JSONEachRow` lines, one per event, in their order.
struct JSONEachRowLines: Sendable {
    private let bytes: [UInt8]
    private let ends: [Int]

    init(_ events: [CollectedEvent]) {
        var body = JSONEachRowBody()
        var ends: [Int] = []
        ends.reserveCapacity(events.count)
        for event in events {
            ClickHouseClient.append(event, to: &body)
            ends.append(body.bytes.count)
        }
        bytes = body.bytes
        self.ends = ends
    }

    var byteCount: Int { bytes.count }

    /// Event `index`'s line.
    subscript(index: Int) -> ArraySlice<UInt8> {
        bytes[(index == 0 ? 0 : ends[index - 1])..<ends[index]]
    }
}

/// Ids for rows ClickHouse has no sequence for (metadata, errors, bad rows): microseconds since 1970, made
/// strictly increasing within the process, so ordering by id is ordering by arrival.
enum ClickHouseRowID {
    private static let last = NIOLockedValueBox<Int64>(0)

    static func next(now: Date = Date()) -> Int64 {
        let micros = Int64(now.timeIntervalSince1970 * 1_000_000)
        return last.withLockedValue { last in
            last = max(last + 1, micros)
            return last
        }
    }
}
