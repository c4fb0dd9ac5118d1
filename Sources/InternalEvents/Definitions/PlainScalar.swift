/// What a plain (unquoted) YAML scalar is, by the YAML 1.1 rules Yams' default resolver applies (its `bool`, `int`,
/// `float` and `null` patterns, in that order), decided from the bytes without regular expressions.
///
/// The loader composes files with Yams' rule-less resolver, which leaves every scalar's tag alone, and classifies the
/// scalars it reads with this: the same answers, without running several `NSRegularExpression`s per scalar (half of
/// a load's time on GitLab's tree). Explicit tags (`!!str 5`) aren't looked at: definition files don't use them.
enum PlainScalar: Equatable {
    case null
    case bool(Bool)
    case integer
    case float
    case string

    init(_ text: String) {
        let bytes = Array(text.utf8)
        if let bool = Self.bool(bytes) {
            self = .bool(bool)
        } else if Self.isInteger(bytes) {
            self = .integer
        } else if Self.isFloat(bytes) {
            self = .float
        } else if ["", "~", "null", "Null", "NULL"].contains(text) {
            self = .null
        } else {
            self = .string
        }
    }

    private static let trueWords: Set<String> = ["yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"]
    private static let falseWords: Set<String> = ["no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"]

    private static func bool(_ bytes: [UInt8]) -> Bool? {
        guard (2...5).contains(bytes.count) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        if trueWords.contains(text) { return true }
        if falseWords.contains(text) { return false }
        return nil
    }

    /// A cursor over the bytes with the few matchers the patterns need.
    private struct Cursor {
        let bytes: [UInt8]
        var index = 0

        var atEnd: Bool { index == bytes.count }

        mutating func take(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        mutating func takeSign() { _ = take(0x2B) || take(0x2D) }

        /// At least `minimum` bytes of the class; returns how many were taken.
        @discardableResult
        mutating func takeAll(minimum: Int = 0, _ isMember: (UInt8) -> Bool) -> Int? {
            let start = index
            while index < bytes.count, isMember(bytes[index]) { index += 1 }
            return index - start >= minimum ? index - start : nil
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
    private static func isDigitOrUnderscore(_ byte: UInt8) -> Bool { isDigit(byte) || byte == 0x5F }

    /// `[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+` after the sign, or its float form with a trailing `.[0-9_]*`.
    private static func takeSexagesimal(_ cursor: inout Cursor) -> Bool {
        var groups = 0
        while cursor.take(0x3A) {
            let start = cursor.index
            guard cursor.takeAll(minimum: 1, isDigit) != nil else { return false }
            let count = cursor.index - start
            guard count == 1 || (count == 2 && cursor.bytes[start] <= 0x35) else { return false }
            groups += 1
        }
        return groups > 0
    }

    /// `[-+]?0b[0-1_]+ | [-+]?0o?[0-7_]+ | [-+]?(0|[1-9][0-9_]*) | [-+]?0x[0-9a-fA-F_]+ |
    /// [-+]?[1-9][0-9_]*(:[0-5]?[0-9])+`.
    private static func isInteger(_ bytes: [UInt8]) -> Bool {
        func matches(_ body: (inout Cursor) -> Bool) -> Bool {
            var cursor = Cursor(bytes: bytes)
            cursor.takeSign()
            return body(&cursor) && cursor.atEnd
        }
        func isNonZeroDigit(_ byte: UInt8) -> Bool { byte >= 0x31 && byte <= 0x39 }
        func isHex(_ byte: UInt8) -> Bool {
            isDigitOrUnderscore(byte) || (byte >= 0x61 && byte <= 0x66) || (byte >= 0x41 && byte <= 0x46)
        }
        let binary = matches { cursor in
            cursor.take(0x30) && cursor.take(0x62)
                && cursor.takeAll(minimum: 1, { $0 == 0x30 || $0 == 0x31 || $0 == 0x5F }) != nil
        }
        let octal = matches { cursor in
            guard cursor.take(0x30) else { return false }
            _ = cursor.take(0x6F)
            return cursor.takeAll(minimum: 1, { ($0 >= 0x30 && $0 <= 0x37) || $0 == 0x5F }) != nil
        }
        let decimal = matches { cursor in
            if cursor.take(0x30) { return true }
            guard cursor.takeAll(minimum: 1, isNonZeroDigit) != nil else { return false }
            cursor.takeAll(isDigitOrUnderscore)
            return true
        }
        let hexadecimal = matches { cursor in
            cursor.take(0x30) && cursor.take(0x78) && cursor.takeAll(minimum: 1, isHex) != nil
        }
        let sexagesimal = matches { cursor in
            guard cursor.takeAll(minimum: 1, isNonZeroDigit) != nil else { return false }
            cursor.takeAll(isDigitOrUnderscore)
            return takeSexagesimal(&cursor)
        }
        return binary || octal || decimal || hexadecimal || sexagesimal
    }

    private static func isFloat(_ bytes: [UInt8]) -> Bool {
        func matches(_ body: (inout Cursor) -> Bool) -> Bool {
            var cursor = Cursor(bytes: bytes)
            return body(&cursor) && cursor.atEnd
        }
        func exponent(_ cursor: inout Cursor, signRequired: Bool) -> Bool {
            guard cursor.take(0x65) || cursor.take(0x45) else { return true }
            let signed = cursor.take(0x2B) || cursor.take(0x2D)
            if signRequired && !signed { return false }
            return cursor.takeAll(minimum: 1, isDigit) != nil
        }
        let words = ["inf", "Inf", "INF"].map { Array($0.utf8) }
        let nans = ["nan", "NaN", "NAN"].map { Array($0.utf8) }
        return matches { cursor in
            cursor.takeSign()
            guard cursor.takeAll(minimum: 1, isDigit) != nil else { return false }
            cursor.takeAll(isDigitOrUnderscore)
            if cursor.take(0x2E) { cursor.takeAll(isDigitOrUnderscore) }
            return exponent(&cursor, signRequired: false)
        }
            || matches { cursor in
                cursor.take(0x2E) && cursor.takeAll(minimum: 1, isDigitOrUnderscore) != nil
                    && exponent(&cursor, signRequired: true)
            }
            || matches { cursor in
                cursor.takeSign()
                guard cursor.takeAll(minimum: 1, isDigit) != nil else { return false }
                cursor.takeAll(isDigitOrUnderscore)
                guard takeSexagesimal(&cursor), cursor.take(0x2E) else { return false }
                cursor.takeAll(isDigitOrUnderscore)
                return true
            }
            || matches { cursor in
                cursor.takeSign()
                guard cursor.take(0x2E) else { return false }
                let rest = Array(cursor.bytes[cursor.index...])
                guard words.contains(rest) else { return false }
                cursor.index = cursor.bytes.count
                return true
            }
            || (bytes.first == 0x2E && nans.contains(Array(bytes.dropFirst())))
    }
}
