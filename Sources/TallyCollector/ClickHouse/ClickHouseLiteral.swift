import Foundation
import InternalEvents
import NIOCore

/// Values written into ClickHouse SQL as literals.
///
/// ClickHouse 18.16, the oldest server Tally supports, has no query parameters, so every value Tally sends in a
/// statement goes through this one function. Strings are quoted with `'` and every byte that could end or bend
/// the literal is escaped (`\\`, `\'`, and each control byte as `\xHH`), which both 18.16 and current servers read
/// back as the same string; bytes are sent as `unhex('…')`; times as `toDateTime('YYYY-MM-DD hh:mm:ss', 'UTC')`.
enum ClickHouseLiteral {
    /// A value that can't be written as a ClickHouse literal.
    struct Unsupported: Error, CustomStringConvertible {
        var description: String
    }

    /// `text` as a quoted string literal.
    static func string(_ text: some StringProtocol) -> String {
        var literal = "'"
        literal.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": literal += "\\\\"
            case "'": literal += "\\'"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                literal += "\\x" + String(scalar.value >> 4, radix: 16) + String(scalar.value & 0xF, radix: 16)
            default: literal.unicodeScalars.append(scalar)
            }
        }
        literal += "'"
        return literal
    }

    /// Bytes as `unhex('…')`, a `String` of those bytes.
    static func bytes(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var hex: [UInt8] = []
        for byte in bytes {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0xF)])
        }
        return "unhex('" + String(decoding: hex, as: UTF8.self) + "')"
    }

    /// A time in whole seconds (ClickHouse 18.16's `DateTime`), in UTC.
    static func time(_ date: Date) -> String {
        "toDateTime('\(dateTimeText(date))', 'UTC')"
    }

    /// `YYYY-MM-DD hh:mm:ss` in UTC, seconds rounded down: how ClickHouse reads and prints a `DateTime`.
    static func dateTimeText(_ date: Date) -> String {
        let seconds = Int64((date.timeIntervalSince1970).rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let civil = ISOWeek.civilDate(fromDay: Int(days))
        let within = seconds - days * 86_400
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let year = String(civil.year)
        return "\(String(repeating: "0", count: max(0, 4 - year.count)) + year)-\(two(Int64(civil.month)))-"
            + "\(two(Int64(civil.day))) \(two(within / 3600)):\(two(within % 3600 / 60)):\(two(within % 60))"
    }

    /// A double as ClickHouse reads it back exactly (`nan`, `inf` and `-inf` included).
    static func double(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        return "\(value)"
    }

    /// One of SQLKit's bound values as a literal: strings, integers, doubles, booleans (`1`/`0`), dates, bytes,
    /// optionals (`NULL`) and, as JSON text, other `Encodable` values.
    static func literal(for value: any Encodable) throws(Unsupported) -> String {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            guard let wrapped = mirror.children.first?.value else { return "NULL" }
            guard let encodable = wrapped as? any Encodable else {
                throw Unsupported(description: "a bound value of type \(type(of: wrapped)) is not Encodable")
            }
            return try literal(for: encodable)
        }
        switch value {
        case let text as String: return string(text)
        case let date as Date: return time(date)
        case let data as Data: return bytes(data)
        case let data as [UInt8]: return bytes(data)
        case let buffer as ByteBuffer: return bytes(buffer.readableBytesView)
        case let flag as Bool: return flag ? "1" : "0"
        case let number as Double: return double(number)
        case let number as Float: return double(Double(number))
        case let number as Int: return "\(number)"
        case let number as Int64: return "\(number)"
        case let number as Int32: return "\(number)"
        case let number as Int16: return "\(number)"
        case let number as Int8: return "\(number)"
        case let number as UInt: return "\(number)"
        case let number as UInt64: return "\(number)"
        case let number as UInt32: return "\(number)"
        case let number as UInt16: return "\(number)"
        case let number as UInt8: return "\(number)"
        default:
            do {
                return string(String(decoding: try JSONEncoder().encode(value), as: UTF8.self))
            } catch {
                throw Unsupported(description: "can't write a bound \(type(of: value)) as SQL: \(error)")
            }
        }
    }

    /// `sql` with each bind placeholder (`$1`, `$2`, … as `ClickHouseDialect` writes them) replaced by its value's
    /// literal. Placeholders are only looked for outside string literals, quoted identifiers and comments, so text
    /// that merely looks like one is left alone.
    static func substitute(_ binds: [any Encodable & Sendable], into sql: String) throws(Unsupported) -> String {
        guard !binds.isEmpty else { return sql }
        enum State { case code, quoted(Unicode.Scalar), escaped(Unicode.Scalar), lineComment, blockComment }
        var state = State.code
        var output = String.UnicodeScalarView()
        let scalars = Array(sql.unicodeScalars)
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            let next: Unicode.Scalar? = index + 1 < scalars.count ? scalars[index + 1] : nil
            switch state {
            case .code:
                if scalar == "$", let next, ("1"..."9").contains(next) {
                    var end = index + 1
                    var number = 0
                    while end < scalars.count, ("0"..."9").contains(scalars[end]) {
                        number = number * 10 + Int(scalars[end].value - 48)
                        end += 1
                    }
                    guard number >= 1, number <= binds.count else {
                        throw Unsupported(description: "placeholder $\(number) has no bound value")
                    }
                    output.append(contentsOf: try literal(for: binds[number - 1]).unicodeScalars)
                    index = end
                    continue
                }
                if scalar == "'" || scalar == "\"" || scalar == "`" {
                    state = .quoted(scalar)
                } else if scalar == "-", next == "-" {
                    state = .lineComment
                } else if scalar == "/", next == "*" {
                    state = .blockComment
                }
            case .quoted(let quote):
                if scalar == "\\" { state = .escaped(quote) } else if scalar == quote { state = .code }
            case .escaped(let quote):
                state = .quoted(quote)
            case .lineComment:
                if scalar == "\n" { state = .code }
            case .blockComment:
                if scalar == "*", next == "/" {
                    output.append(scalar)
                    output.append("/")
                    index += 2
                    state = .code
                    continue
                }
            }
            output.append(scalar)
            index += 1
        }
        return String(output)
    }
}
