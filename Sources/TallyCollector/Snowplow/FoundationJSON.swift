import Foundation
import InternalEvents

/// Tracker payloads read with `JSONSerialization`, which parses without throwing per value: `JSONDecoder` into
/// the generic `JSONValue` finds each value's type by trying each decode in turn, and every failed try throws, which
/// made JSON parsing most of the collector's work per event.
enum FoundationJSON {
    /// The document in `data`, or nil when it isn't JSON (or nests deeper than Foundation's parser allows).
    static func parse(_ data: Data) -> Any? {
        try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    }

    /// A parsed value as a `JSONValue` (objects with their keys sorted, as `JSONSerialization` keeps no order);
    /// nil for what JSON can't hold.
    ///
    /// Containers and strings are matched before `NSNumber`: asking whether a Swift dictionary or array is an
    /// `NSNumber` bridges all of it to Foundation first, which was half the collector's time per event.
    static func value(_ object: Any) -> JSONValue? {
        if let text = object as? String { return .string(text) }
        if let dictionary = object as? [String: Any] {
            var pairs: [(key: String, value: JSONValue)] = []
            pairs.reserveCapacity(dictionary.count)
            for key in dictionary.keys.sorted() {
                guard let value = value(dictionary[key]!) else { return nil }
                pairs.append((key, value))
            }
            return .object(pairs)
        }
        if let array = object as? [Any] {
            var elements: [JSONValue] = []
            elements.reserveCapacity(array.count)
            for element in array {
                guard let value = value(element) else { return nil }
                elements.append(value)
            }
            return .array(elements)
        }
        if object is NSNull { return .null }
        if let number = object as? NSNumber {
            // Booleans are NSNumbers too; their type code is "c" (JSON has no 8-bit integers).
            let type = String(cString: number.objCType)
            if type == "c" { return .bool(number.boolValue) }
            if type == "d" || type == "f" { return .double(number.doubleValue) }
            return .integer(number.int64Value)
        }
        return nil
    }

    /// An object's bytes (keys sorted), for a bad row.
    static func bytes(_ object: Any) -> Data {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .fragmentsAllowed]))
            ?? Data(String(describing: object).utf8)
    }
}
