import Foundation

extension CodingUserInfoKey {
    /// When `true` in an encoder's or decoder's `userInfo`, `JSONValue` objects are coded as lists of
    /// `[key, value]` pairs, so their key order survives (the definitions cache uses it).
    static let orderedJSONObjects = CodingUserInfoKey(rawValue: "tally.orderedJSONObjects")!
}

/// Writing `JSONValue` with Foundation's encoders: plain JSON, or (see `CodingUserInfoKey.orderedJSONObjects`)
/// objects as ordered pairs.
extension JSONValue: Encodable {
    public func encode(to encoder: any Encoder) throws {
        if encoder.userInfo[.orderedJSONObjects] as? Bool == true {
            try OrderedJSONValue(self).encode(to: encoder)
            return
        }
        switch self {
        case .object(let pairs):
            var container = encoder.container(keyedBy: PlainKey.self)
            for (key, value) in pairs { try container.encode(value, forKey: PlainKey(stringValue: key)) }
        case .array(let elements):
            var container = encoder.unkeyedContainer()
            for element in elements { try container.encode(element) }
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case .bool(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .integer(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .double(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .string(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        }
    }

    private struct PlainKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

/// A `JSONValue` coded with a one-letter tag per case and objects as ordered `[key, value]` pairs.
struct OrderedJSONValue: Codable {
    var value: JSONValue

    init(_ value: JSONValue) { self.value = value }

    private enum Tag: String, CodingKey {
        case null = "n", bool = "b", integer = "i", double = "d", string = "s", array = "a", object = "o"
    }

    private struct Pair: Codable {
        var key: String
        var value: OrderedJSONValue

        init(key: String, value: OrderedJSONValue) {
            self.key = key
            self.value = value
        }

        init(from decoder: any Decoder) throws {
            var container = try decoder.unkeyedContainer()
            key = try container.decode(String.self)
            value = try container.decode(OrderedJSONValue.self)
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.unkeyedContainer()
            try container.encode(key)
            try container.encode(value)
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Tag.self)
        switch value {
        case .null: try container.encode(true, forKey: .null)
        case .bool(let value): try container.encode(value, forKey: .bool)
        case .integer(let value): try container.encode(value, forKey: .integer)
        case .double(let value): try container.encode(value, forKey: .double)
        case .string(let value): try container.encode(value, forKey: .string)
        case .array(let elements): try container.encode(elements.map(OrderedJSONValue.init), forKey: .array)
        case .object(let pairs):
            try container.encode(pairs.map { Pair(key: $0.key, value: OrderedJSONValue($0.value)) }, forKey: .object)
        }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Tag.self)
        guard let tag = container.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "no tag"))
        }
        switch tag {
        case .null: value = .null
        case .bool: value = .bool(try container.decode(Bool.self, forKey: tag))
        case .integer: value = .integer(try container.decode(Int64.self, forKey: tag))
        case .double: value = .double(try container.decode(Double.self, forKey: tag))
        case .string: value = .string(try container.decode(String.self, forKey: tag))
        case .array: value = .array(try container.decode([OrderedJSONValue].self, forKey: tag).map(\.value))
        case .object:
            value = .object(try container.decode([Pair].self, forKey: tag).map { ($0.key, $0.value.value) })
        }
    }
}
