import Foundation
import InternalEvents
import NIOConcurrencyHelpers
import NIOCore

/// Rows for `INSERT … FORMAT JSONEachRow`: one JSON object per line.
struct JSONEachRowBody {
    private(set) var text = ""
    private(set) var count = 0

    mutating func append(_ fields: [(key: String, value: JSONValue)]) {
        text += JSONValue.object(fields).serialized()
        text += "\n"
        count += 1
    }

    var buffer: ByteBuffer { ByteBuffer(string: text) }

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
