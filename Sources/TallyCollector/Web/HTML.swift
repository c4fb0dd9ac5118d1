/// A piece of HTML whose interpolated strings are escaped: `"<td>\(name)</td>" as HTML` writes `name` as text, so
/// nothing a tracker or an instance sent (event names, host names) can become markup. Interpolating another `HTML`
/// inserts it as it is.
struct HTML: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    private(set) var text: String

    init(raw text: String) { self.text = text }

    init(stringLiteral value: String) { text = value }

    init(stringInterpolation: Interpolation) { text = stringInterpolation.text }

    var description: String { text }

    static func + (left: HTML, right: HTML) -> HTML { HTML(raw: left.text + right.text) }

    static func += (left: inout HTML, right: HTML) { left.text += right.text }

    /// The pieces one after the other.
    static func joined(_ pieces: some Sequence<HTML>) -> HTML {
        HTML(raw: pieces.map(\.text).joined())
    }

    struct Interpolation: StringInterpolationProtocol {
        var text = ""

        init(literalCapacity: Int, interpolationCount: Int) { text.reserveCapacity(literalCapacity * 2) }

        mutating func appendLiteral(_ literal: String) { text += literal }

        mutating func appendInterpolation(_ value: HTML) { text += value.text }

        mutating func appendInterpolation(_ value: String) { text += HTML.escape(value) }

        mutating func appendInterpolation(_ value: some BinaryInteger) { text += String(value) }

        mutating func appendInterpolation(_ value: [HTML]) { text += value.map(\.text).joined() }
    }

    /// `&`, `<`, `>`, `"` and `'` as entities: safe in text and in quoted attribute values.
    static func escape(_ value: String) -> String {
        guard value.utf8.contains(where: { [38, 60, 62, 34, 39].contains($0) }) else { return value }
        var escaped = ""
        escaped.reserveCapacity(value.utf8.count + 16)
        for character in value.unicodeScalars {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }
}
