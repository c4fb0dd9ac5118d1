import InternalEvents

/// Reads JSON text (RFC 8259) into `JSONValue` in one pass over its bytes; objects keep their keys in the order
/// sent (a key sent twice is kept twice; `JSONValue`'s subscript finds the first).
///
/// The reader of request bodies: tracker payloads and their contexts in the collector, usage_data bodies in the
/// server. `JSONSerialization` builds Foundation objects that then had to be bridged back to Swift values (most of
/// a collected event's cost), and `JSONDecoder` into the generic `JSONValue` throws once per failed type guess. Strict: no comments, trailing commas or bare words; strings must
/// be valid UTF-8 with no raw control characters and no lone surrogate escapes; nesting at most `maximumDepth`
/// (Foundation's limit). Integers that fit `Int64` stay integers; other numbers are doubles, and one too large
/// for a double is refused (as Foundation refuses it).
///
/// **Thread safety:** the static `parse` functions may be called from any thread at once; each call reads with state
/// of its own and allocates only the values it returns. Never blocks.
public struct JSONReader: Sendable {
    /// Why the text isn't JSON, and the byte offset where reading stopped.
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public var message: String
        public var offset: Int

        public var description: String { "\(message) at byte \(offset)" }
    }

    /// The default nesting limit, as Foundation's parser has.
    public static let defaultMaximumDepth = 512

    /// The one JSON value `bytes` hold (surrounding whitespace allowed).
    public static func parse(_ bytes: [UInt8], maximumDepth: Int = defaultMaximumDepth) throws(Failure) -> JSONValue {
        try parse(bytes, maximumDepth: maximumDepth, keepingTextOf: nil).value
    }

    /// The one JSON value `bytes` hold, and the text as sent of the value under `member` when the value is an
    /// object with that key (the first, if sent twice, as `JSONValue`'s subscript finds).
    public static func parse(
        _ bytes: [UInt8], maximumDepth: Int = defaultMaximumDepth, keepingTextOf member: String?
    ) throws(Failure) -> (value: JSONValue, memberText: ArraySlice<UInt8>?) {
        var reader = JSONReader(bytes: bytes, maximumDepth: maximumDepth)
        reader.keptMember = member
        reader.skipWhitespace()
        let value = try reader.readValue()
        reader.skipWhitespace()
        guard reader.position == bytes.count else { throw reader.failure("unexpected text after the value") }
        return (value, reader.keptRange.map { bytes[$0] })
    }

    private let bytes: [UInt8]
    private let maximumDepth: Int
    private var position = 0
    private var depth = 0
    /// Reused for strings with escapes.
    private var scratch: [UInt8] = []
    /// The top-level member whose text to keep, and where it was.
    private var keptMember: String?
    private var keptRange: Range<Int>?

    private init(bytes: [UInt8], maximumDepth: Int) {
        self.bytes = bytes
        self.maximumDepth = maximumDepth
    }

    private func failure(_ message: String) -> Failure { Failure(message: message, offset: position) }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    private mutating func readValue() throws(Failure) -> JSONValue {
        guard position < bytes.count else { throw failure("unexpected end of the text") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try readObject()
        case UInt8(ascii: "["): return try readArray()
        case UInt8(ascii: "\""): return .string(try readString())
        case UInt8(ascii: "t"): return try readLiteral("true", .bool(true))
        case UInt8(ascii: "f"): return try readLiteral("false", .bool(false))
        case UInt8(ascii: "n"): return try readLiteral("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try readNumber()
        default: throw failure("expected a value")
        }
    }

    private mutating func enter() throws(Failure) {
        depth += 1
        guard depth <= maximumDepth else { throw failure("nested deeper than \(maximumDepth) levels") }
    }

    private mutating func readObject() throws(Failure) -> JSONValue {
        try enter()
        position += 1
        var pairs: [(key: String, value: JSONValue)] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            depth -= 1
            return .object(pairs)
        }
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                throw failure("expected a key in quotes")
            }
            let key = try readString()
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
                throw failure("expected ':' after a key")
            }
            position += 1
            skipWhitespace()
            let valueStart = position
            pairs.append((key, try readValue()))
            if depth == 1, keptRange == nil, let keptMember, key == keptMember { keptRange = valueStart..<position }
            skipWhitespace()
            guard position < bytes.count else { throw failure("unexpected end of the text in an object") }
            switch bytes[position] {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"):
                position += 1
                depth -= 1
                return .object(pairs)
            default: throw failure("expected ',' or '}' in an object")
            }
        }
    }

    private mutating func readArray() throws(Failure) -> JSONValue {
        try enter()
        position += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try readValue())
            skipWhitespace()
            guard position < bytes.count else { throw failure("unexpected end of the text in an array") }
            switch bytes[position] {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"):
                position += 1
                depth -= 1
                return .array(elements)
            default: throw failure("expected ',' or ']' in an array")
            }
        }
    }

    private mutating func readLiteral(_ word: String, _ value: JSONValue) throws(Failure) -> JSONValue {
        for byte in word.utf8 {
            guard position < bytes.count, bytes[position] == byte else { throw failure("expected a value") }
            position += 1
        }
        return value
    }

    /// A string at `position` (its opening quote). Runs without escapes are taken whole from the text.
    private mutating func readString() throws(Failure) -> String {
        position += 1
        let start = position
        var ascii = true
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let text: String
                if ascii {
                    // ASCII is valid UTF-8: no validation pass needed.
                    text = String(decoding: bytes[start..<position], as: UTF8.self)
                } else {
                    guard let valid = String(validating: bytes[start..<position], as: UTF8.self) else {
                        throw Failure(message: "a string is not valid UTF-8", offset: start)
                    }
                    text = valid
                }
                position += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { return try readEscapedString(from: start) }
            guard byte >= 0x20 else { throw failure("a control character inside a string must be escaped") }
            if byte >= 0x80 { ascii = false }
            position += 1
        }
        throw failure("a string is not closed")
    }

    /// The rest of a string that has an escape at `position`, its text so far starting at `start`.
    private mutating func readEscapedString(from start: Int) throws(Failure) -> String {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: bytes[start..<position])
        while position < bytes.count {
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: scratch, as: UTF8.self) else {
                    throw Failure(message: "a string is not valid UTF-8", offset: start)
                }
                position += 1
                return text
            case UInt8(ascii: "\\"):
                position += 1
                guard position < bytes.count else { break }
                let escaped = bytes[position]
                position += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(escaped)
                case UInt8(ascii: "b"): scratch.append(0x08)
                case UInt8(ascii: "f"): scratch.append(0x0C)
                case UInt8(ascii: "n"): scratch.append(0x0A)
                case UInt8(ascii: "r"): scratch.append(0x0D)
                case UInt8(ascii: "t"): scratch.append(0x09)
                case UInt8(ascii: "u"): try appendUnicodeEscape()
                default:
                    position -= 1
                    throw failure("unknown escape in a string")
                }
            case 0..<0x20:
                throw failure("a control character inside a string must be escaped")
            default:
                scratch.append(byte)
                position += 1
            }
        }
        throw failure("a string is not closed")
    }

    /// `\uXXXX` after its `\u`: one scalar, or a surrogate pair written as two escapes.
    private mutating func appendUnicodeEscape() throws(Failure) {
        var code = try readHex4()
        if (0xD800...0xDBFF).contains(code) {
            guard position + 2 <= bytes.count, bytes[position] == UInt8(ascii: "\\"),
                bytes[position + 1] == UInt8(ascii: "u")
            else { throw failure("a high surrogate escape without its low half") }
            position += 2
            let low = try readHex4()
            guard (0xDC00...0xDFFF).contains(low) else { throw failure("a high surrogate escape without its low half") }
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00...0xDFFF).contains(code) {
            throw failure("a low surrogate escape without its high half")
        }
        guard let scalar = Unicode.Scalar(code) else { throw failure("not a Unicode scalar") }
        scratch.append(contentsOf: UTF8.encode(scalar)!)
    }

    private mutating func readHex4() throws(Failure) -> UInt32 {
        guard position + 4 <= bytes.count else { throw failure("\\u needs four hex digits") }
        var code: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw failure("\\u needs four hex digits")
            }
            code = code << 4 | UInt32(digit)
            position += 1
        }
        return code
    }

    /// `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`: an integer while it fits `Int64`, else a double.
    private mutating func readNumber() throws(Failure) -> JSONValue {
        let start = position
        let negative = bytes[position] == UInt8(ascii: "-")
        if negative { position += 1 }
        guard position < bytes.count, isDigit(bytes[position]) else { throw failure("expected a digit") }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
            if position < bytes.count, isDigit(bytes[position]) { throw failure("a number can't start with 0") }
        } else {
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        var isInteger = true
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard position < bytes.count, isDigit(bytes[position]) else { throw failure("expected a digit after '.'") }
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            isInteger = false
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard position < bytes.count, isDigit(bytes[position]) else { throw failure("expected an exponent") }
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        if isInteger, let integer = integer(from: negative ? start + 1 : start, negative: negative) {
            return .integer(integer)
        }
        // The grammar above admits only what `Double` reads.
        guard let double = Double(String(decoding: bytes[start..<position], as: UTF8.self)), double.isFinite else {
            throw Failure(message: "a number too large for a double", offset: start)
        }
        return .double(double)
    }

    /// The digits from `start` to `position` as an `Int64`, or nil when they don't fit.
    private func integer(from start: Int, negative: Bool) -> Int64? {
        var value: Int64 = 0
        for index in start..<position {
            let digit = Int64(bytes[index] - UInt8(ascii: "0"))
            let (shifted, overflowShift) = value.multipliedReportingOverflow(by: 10)
            let (next, overflowAdd) =
                negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
            if overflowShift || overflowAdd { return nil }
            value = next
        }
        return value
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}
