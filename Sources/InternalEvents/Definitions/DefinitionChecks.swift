import Foundation

/// The value checks GitLab's schemas state as patterns and formats. Each returns a problem, or `nil` if fine.
public enum DefinitionChecks {
    /// `action`: `^[a-z0-9_]+$`.
    public static func action(_ text: String) -> String? {
        let valid =
            !text.isEmpty
            && text.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
        return valid ? nil : "expected lowercase letters, digits and _ only (^[a-z0-9_]+$), found \"\(text)\""
    }

    /// Milestones: `^<?[0-9]+\.[0-9]+$` (`"16.9"`, `"<13.9"`).
    public static func milestone(_ text: String) -> String? {
        var rest = Substring(text)
        if rest.first == "<" { rest = rest.dropFirst() }
        let parts = rest.split(separator: ".", omittingEmptySubsequences: false)
        let valid =
            parts.count == 2
            && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }
        return valid ? nil : "expected a milestone like \"16.9\" or \"<13.9\", found \"\(text)\""
    }

    /// `format: uri`: an absolute URI: a scheme (`[A-Za-z][A-Za-z0-9+.-]*`), `:`, then something, all printable
    /// ASCII or beyond, no spaces or control characters (checked by hand: Foundation's URL parser is slow here).
    static func uri(_ text: String) -> String? {
        let bytes = text.utf8
        func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A }
        var valid = false
        if let colon = bytes.firstIndex(of: 0x3A), let first = bytes.first, isLetter(first) {
            let scheme = bytes[..<colon]
            let rest = bytes[bytes.index(after: colon)...]
            valid =
                scheme.allSatisfy {
                    isLetter($0) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2B || $0 == 0x2D || $0 == 0x2E
                }
                && !rest.isEmpty && bytes.allSatisfy { $0 > 0x20 && $0 != 0x7F }
        }
        return valid ? nil : "expected an absolute URL such as https://…, found \"\(text)\""
    }

    /// `instrumentation_class`: `^(([A-Z][a-z]+)+::)*(([A-Z]+[a-z]+)+)$`.
    static func instrumentationClass(_ text: String) -> String? {
        let segments = text.components(separatedBy: "::")
        func words(_ segment: String, leadingUppercase: (Int) -> Bool) -> Bool {
            var characters = Array(segment.unicodeScalars)[...]
            if characters.isEmpty { return false }
            while !characters.isEmpty {
                var upper = 0
                while let first = characters.first, ("A"..."Z").contains(first) {
                    upper += 1
                    characters = characters.dropFirst()
                }
                var lower = 0
                while let first = characters.first, ("a"..."z").contains(first) {
                    lower += 1
                    characters = characters.dropFirst()
                }
                if !leadingUppercase(upper) || lower == 0 { return false }
            }
            return true
        }
        let namespacesValid = segments.dropLast().allSatisfy { words($0) { $0 == 1 } }
        let classValid = words(segments.last ?? "") { $0 >= 1 }
        return namespacesValid && classValid
            ? nil : "expected a class name such as RedisHLLMetric or Gitlab::Usage::CountMetric, found \"\(text)\""
    }
}
