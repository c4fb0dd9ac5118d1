/// A value of an event's additional property, as a filter names it or `track` receives it.
public enum PropertyValue: Sendable, Hashable, Codable, CustomStringConvertible {
    case string(String)
    case integer(Int64)
    case double(Double)

    /// The form used in Redis keys and unique members: the text, or the number in decimal (`5`, `1.5`).
    public var description: String {
        switch self {
        case .string(let text): text
        case .integer(let number): String(number)
        case .double(let number): String(number)
        }
    }

    /// Whether the value is a number.
    public var isNumber: Bool {
        if case .string = self { return false }
        return true
    }

    /// Filter matching: equal text, or numerically equal numbers (`5` matches `5.0`, as in Ruby).
    public func matches(_ other: PropertyValue) -> Bool {
        switch (self, other) {
        case (.string(let left), .string(let right)): left == right
        case (.integer(let left), .integer(let right)): left == right
        case (.integer(let left), .double(let right)): Double(left) == right
        case (.double(let left), .integer(let right)): left == Double(right)
        case (.double(let left), .double(let right)): left == right
        default: false
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let integer = try? container.decode(Int64.self) {
            self = .integer(integer)
        } else if let double = try? container.decode(Double.self) {
            self = .double(double)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let text): try container.encode(text)
        case .integer(let number): try container.encode(number)
        case .double(let number): try container.encode(number)
        }
    }
}
