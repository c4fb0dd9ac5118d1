import Foundation

/// A JSON value whose objects keep their key order: instrumentation `options` as written in a definition, and the
/// Service Ping payload, which starts with `recorded_at` and ends with `recording_ce_finished_at` as GitLab's does.
/// (Foundation's encoders sort or scramble keys.)
public indirect enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case integer(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.integer(let a), .integer(let b)): a == b
        case (.double(let a), .double(let b)): a == b
        case (.string(let a), .string(let b)): a == b
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)): a.map(\.key) == b.map(\.key) && a.map(\.value) == b.map(\.value)
        default: false
        }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(serialized())
    }

    /// The value under `key` of an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let pairs) = self else { return nil }
        return pairs.first { $0.key == key }?.value
    }

    /// The text of a string value.
    public var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The elements of an array value.
    public var array: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// The value at a dotted path (`counts.notes`).
    public func value(atPath path: String) -> JSONValue? {
        path.split(separator: ".").reduce(self as JSONValue?) { node, part in node?[String(part)] }
    }

    /// JSON text; `pretty` indents by two spaces.
    public func serialized(pretty: Bool = false) -> String {
        var output = ""
        write(to: &output, pretty: pretty, indent: 0)
        return output
    }

    private func write(to output: inout String, pretty: Bool, indent: Int) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .integer(let value): output += String(value)
        case .double(let value):
            if value.isFinite {
                output += value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) + ".0" : String(value)
            } else {
                output += "null"
            }
        case .string(let text): Self.writeString(text, to: &output)
        case .array(let elements):
            if elements.isEmpty { output += "[]"; return }
            output += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { output += "," }
                if pretty { output += "\n" + String(repeating: "  ", count: indent + 1) }
                element.write(to: &output, pretty: pretty, indent: indent + 1)
            }
            if pretty { output += "\n" + String(repeating: "  ", count: indent) }
            output += "]"
        case .object(let pairs):
            if pairs.isEmpty { output += "{}"; return }
            output += "{"
            for (index, pair) in pairs.enumerated() {
                if index > 0 { output += "," }
                if pretty { output += "\n" + String(repeating: "  ", count: indent + 1) }
                Self.writeString(pair.key, to: &output)
                output += pretty ? ": " : ":"
                pair.value.write(to: &output, pretty: pretty, indent: indent + 1)
            }
            if pretty { output += "\n" + String(repeating: "  ", count: indent) }
            output += "}"
        }
    }

    /// Appends `text` as a JSON string: the runs between characters that need an escape (`"`, `\`, controls) are
    /// appended whole, so a string with a few escapes (a JSON document inside a string, as event contexts are)
    /// costs a few copies, not one append per character.
    private static func writeString(_ text: String, to output: inout String) {
        output += "\""
        let utf8 = text.utf8
        var runStart = utf8.startIndex
        var index = runStart
        while index != utf8.endIndex {
            let byte = utf8[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else {
                utf8.formIndex(after: &index)
                continue
            }
            // `byte` is ASCII, so both ends of the run are character boundaries.
            output += Substring(utf8[runStart..<index])
            switch byte {
            case UInt8(ascii: "\""): output += "\\\""
            case UInt8(ascii: "\\"): output += "\\\\"
            case UInt8(ascii: "\n"): output += "\\n"
            case UInt8(ascii: "\r"): output += "\\r"
            case UInt8(ascii: "\t"): output += "\\t"
            default:
                let hex = String(byte, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            }
            utf8.formIndex(after: &index)
            runStart = index
        }
        output += Substring(utf8[runStart..<utf8.endIndex])
        output += "\""
    }

    /// ISO-8601 in UTC with milliseconds, as Rails serializes times: `2025-02-20T10:44:03.120Z`.
    public static func timestamp(_ date: Date) -> JSONValue {
        .string(Self.formatTimestamp(date))
    }

    /// `2025-02-20T10:44:03.120Z`, as `ISO8601DateFormatter` with fractional seconds writes it in UTC, computed
    /// directly (a formatter costs tens of microseconds to make, and the warehouse writes a time per row).
    public static func formatTimestamp(_ date: Date) -> String {
        // Foundation adds half a millisecond and lets ICU take the floor: halves round up, also before 1970.
        let milliseconds = (date.timeIntervalSince1970 * 1_000 + 0.5).rounded(.down)
        // Gregorian years 1600…9999 by arithmetic; outside them (never in practice) Foundation's formatter, whose
        // calendar is Julian before 1582.
        guard milliseconds >= -11_676_096_000_000, milliseconds < 253_402_300_800_000 else {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            formatter.timeZone = TimeZone(identifier: "UTC")
            return formatter.string(from: date)
        }
        let total = Int64(milliseconds)
        let (days, millisecondOfDay) = floorDivision(total, 86_400_000)
        let (year, month, day) = ISOWeek.civilDate(fromDay: Int(days))
        var text = ""
        text.reserveCapacity(24)
        func append(_ value: some BinaryInteger, digits: Int) {
            let string = String(value)
            if string.count < digits { text += String(repeating: "0", count: digits - string.count) }
            text += string
        }
        append(year, digits: 4)
        text += "-"
        append(month, digits: 2)
        text += "-"
        append(day, digits: 2)
        text += "T"
        append(millisecondOfDay / 3_600_000, digits: 2)
        text += ":"
        append(millisecondOfDay / 60_000 % 60, digits: 2)
        text += ":"
        append(millisecondOfDay / 1_000 % 60, digits: 2)
        text += "."
        append(millisecondOfDay % 1_000, digits: 3)
        text += "Z"
        return text
    }

    private static func floorDivision(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        let quotient = value / divisor
        let remainder = value % divisor
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }
}
