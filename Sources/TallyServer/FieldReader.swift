import InternalEvents

/// Typed reads of one object's fields; `prefix` is how errors name the object (`events[2].`).
///
/// In a form body every value is text, so the readers coerce it as Grape coerces the declared parameter types:
/// an empty text is no value for an id or a flag, a flag is one of Grape's true/false words, and `value` (the
/// additional property that must be a number) is read as a number when its text is one.
struct FieldReader {
    let fields: [(key: String, value: JSONValue)]
    let prefix: String
    var encoding: BodyEncoding = .json

    private func value(_ name: String) -> JSONValue? {
        guard let value = fields.first(where: { $0.key == name })?.value, value != .null else { return nil }
        return value
    }

    /// A value of a declared non-string type: in a form an empty text is none, as Grape treats it.
    private func typedValue(_ name: String) -> JSONValue? {
        guard let value = value(name) else { return nil }
        if encoding == .form, value == .string("") { return nil }
        return value
    }

    /// A required, non-empty string of at most `maximumLength` characters.
    func requiredString(_ name: String, maximumLength: Int = 255) throws(APIError) -> String {
        guard let value = value(name) else { throw .missing(prefix + name) }
        guard case .string(let text) = value else {
            throw .invalid(prefix + name, "expected a string, found \(Self.describe(value))")
        }
        if text.isEmpty { throw .missing(prefix + name) }
        if text.count > maximumLength {
            throw .invalid(prefix + name, "longer than \(maximumLength) characters")
        }
        return text
    }

    /// An optional positive id: a JSON integer or a string of digits (as GitLab's API coerces it).
    func optionalID(_ name: String) throws(APIError) -> Int64? {
        guard let value = typedValue(name) else { return nil }
        let number: Int64? =
            switch value {
            case .integer(let number): number
            case .string(let text): Int64(text)
            default: nil
            }
        guard let number, number > 0 else {
            throw .invalid(prefix + name, "expected a positive integer id, found \(Self.describe(value))")
        }
        return number
    }

    /// An optional boolean: JSON `true`/`false` or the strings `"true"`/`"false"`; in a form, any word Grape's
    /// `Boolean` takes (`1`, `t`, `yes`, `on`, … and `0`, `f`, `no`, `off`, …).
    func optionalBool(_ name: String) throws(APIError) -> Bool? {
        guard let value = typedValue(name) else { return nil }
        switch value {
        case .bool(let flag): return flag
        case .string("true"): return true
        case .string("false"): return false
        case .string(let word) where encoding == .form:
            if Self.trueWords.contains(word) { return true }
            if Self.falseWords.contains(word) { return false }
        default: break
        }
        throw .invalid(prefix + name, "expected true or false, found \(Self.describe(value))")
    }

    /// The texts Grape (dry-types' `Params::Bool`) reads as true.
    static let trueWords: Set<String> = [
        "1", "on", "On", "ON", "t", "true", "True", "TRUE", "T", "y", "yes", "Yes", "YES", "Y",
    ]
    /// The texts Grape reads as false.
    static let falseWords: Set<String> = [
        "0", "off", "Off", "OFF", "f", "false", "False", "FALSE", "F", "n", "no", "No", "NO", "N",
    ]

    /// An optional object of properties whose values are strings or numbers, the only types GitLab's
    /// `EventValidator` lets through (`label`/`property` String, `value` Integer|Float, custom String|Integer|Float).
    /// A boolean, an array or an object is a 400 naming the property (`additional_properties.label`); a null value is
    /// dropped, as GitLab's validator skips nil.
    func optionalProperties(_ name: String, dropping blocked: Set<String>) throws(APIError) -> [String: PropertyValue] {
        guard let value = value(name) else { return [:] }
        guard case .object(let pairs) = value else {
            throw .invalid(prefix + name, "expected an object, found \(Self.describe(value))")
        }
        var properties: [String: PropertyValue] = [:]
        for (key, property) in pairs where !blocked.contains(key) {
            switch property {
            case .string(let text):
                properties[key] =
                    encoding == .form && key == "value" ? Self.number(text) ?? .string(text) : .string(text)
            case .integer(let number): properties[key] = .integer(number)
            case .double(let number): properties[key] = .double(number)
            case .null: continue
            case .bool, .array, .object:
                throw .invalid(
                    "\(prefix)\(name).\(key)",
                    "expected \(Self.expectedType(ofProperty: key)), found \(Self.describe(property))")
            }
        }
        return properties
    }

    /// A form's text as a number (`5`, `-2`, `1.5`, `2e3`), or `nil` when it isn't one.
    static func number(_ text: String) -> PropertyValue? {
        if let integer = Int64(text) { return .integer(integer) }
        guard text.contains(where: \.isNumber),
            text.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }),
            let number = Double(text), number.isFinite
        else { return nil }
        return .double(number)
    }

    /// What GitLab's `EventValidator` accepts for a property, in words.
    static func expectedType(ofProperty name: String) -> String {
        switch name {
        case "label", "property": "a string"
        case "value": "a number"
        default: "a string or a number"
        }
    }

    /// The reader of a nested object's fields, named `prefix` in errors.
    func nested(_ fields: [(key: String, value: JSONValue)], prefix: String) -> FieldReader {
        FieldReader(fields: fields, prefix: prefix, encoding: encoding)
    }

    /// An optional array of objects.
    func optionalObjects(_ name: String) throws(APIError) -> [[(key: String, value: JSONValue)]]? {
        guard let value = value(name) else { return nil }
        guard case .array(let elements) = value else {
            throw .invalid(prefix + name, "expected an array, found \(Self.describe(value))")
        }
        var objects: [[(key: String, value: JSONValue)]] = []
        for (index, element) in elements.enumerated() {
            guard case .object(let pairs) = element else {
                throw .invalid("\(prefix)\(name)[\(index)]", "expected an object, found \(Self.describe(element))")
            }
            objects.append(pairs)
        }
        return objects
    }

    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let flag): flag ? "true" : "false"
        case .integer(let number): String(number)
        case .double(let number): String(number)
        case .string(let text): "a string \"\(text.prefix(40))\(text.count > 40 ? "…" : "")\""
        case .array: "an array"
        case .object: "an object"
        }
    }
}
