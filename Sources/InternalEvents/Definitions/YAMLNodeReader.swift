import Foundation
import Yams

/// Reads fields of one YAML mapping into typed values, recording a diagnostic for each problem.
///
/// Every accessor marks its field as known; `reportUnknownFields` then names the rest.
struct YAMLNodeReader {
    let file: String
    /// The dotted path of this mapping inside the file (`""` at the top, `events[1]` below).
    let path: String
    let mapping: Node.Mapping
    let line: Int
    private var known: Set<String> = []
    private let entries: [String: (keyLine: Int, value: Node)]

    /// A reader over `node`, or `nil` (with a diagnostic) if `node` is not a mapping.
    init?(_ node: Node, file: String, path: String, diagnostics: inout [DefinitionDiagnostic]) {
        guard case .mapping(let mapping) = node else {
            diagnostics.append(
                DefinitionDiagnostic(
                    severity: .error, file: file, line: node.line, field: path.isEmpty ? "file" : path,
                    message: "expected a mapping, found \(node.summary)"))
            return nil
        }
        self.file = file
        self.path = path
        self.mapping = mapping
        self.line = node.line
        var entries: [String: (Int, Node)] = [:]
        for (key, value) in mapping {
            entries[key.scalar?.string ?? "\(key)"] = (key.line, value)
        }
        self.entries = entries
    }

    /// The fields of the mapping, in file order.
    var fieldNames: [String] { mapping.map { $0.key.scalar?.string ?? "\($0.key)" } }

    func fieldPath(_ field: String) -> String { path.isEmpty ? field : "\(path).\(field)" }

    /// The line of a field's key, or of the mapping when the field is absent.
    func line(of field: String) -> Int { entries[field]?.keyLine ?? line }

    func has(_ field: String) -> Bool { entries[field] != nil }

    /// The raw node of a field; marks it known.
    mutating func node(_ field: String) -> Node? {
        known.insert(field)
        return entries[field]?.value
    }

    /// Marks fields as known without reading them.
    mutating func accept(_ fields: [String]) { known.formUnion(fields) }

    // MARK: Diagnostics

    func error(_ field: String, _ message: String, line: Int? = nil, into diagnostics: inout [DefinitionDiagnostic]) {
        diagnostics.append(
            DefinitionDiagnostic(
                severity: .error, file: file, line: line ?? self.line(of: field), field: fieldPath(field),
                message: message))
    }

    func warning(_ field: String, _ message: String, line: Int? = nil, into diagnostics: inout [DefinitionDiagnostic]) {
        diagnostics.append(
            DefinitionDiagnostic(
                severity: .warning, file: file, line: line ?? self.line(of: field), field: fieldPath(field),
                message: message))
    }

    /// One diagnostic per field no accessor asked for.
    func reportUnknownFields(strict: Bool, expected: String, into diagnostics: inout [DefinitionDiagnostic]) {
        for name in fieldNames where !known.contains(name) {
            diagnostics.append(
                DefinitionDiagnostic(
                    severity: strict ? .error : .warning, file: file, line: line(of: name), field: fieldPath(name),
                    message: "unknown field; expected one of \(expected)"))
        }
    }

    /// Values an app restricts to its own list (`product_group`, `product_categories`); no list accepts anything.
    func checkListed(
        _ field: String, _ values: [String]?, in allowed: Set<String>?, into diagnostics: inout [DefinitionDiagnostic]
    ) {
        guard let allowed, let values else { return }
        for value in values where !allowed.contains(value) {
            error(field, "\"\(value)\" is not in the configured list (\(allowed.count) allowed)", into: &diagnostics)
        }
    }

    // MARK: Typed accessors

    /// A required field must be present (it may still be null where `nullable`).
    mutating func string(
        _ field: String, required: Bool = false, nullable: Bool = false,
        check: ((String) -> String?)? = nil, into diagnostics: inout [DefinitionDiagnostic]
    ) -> String? {
        guard let node = node(field) else {
            if required { error(field, "required field is missing; expected a string", into: &diagnostics) }
            return nil
        }
        // One classification of the scalar for both questions (null? text?).
        let kind = node.plainKind
        if kind == .null {
            if !nullable { error(field, "expected a string, found null", into: &diagnostics) }
            return nil
        }
        guard case .scalar(let scalar) = node, kind == nil || kind == .string else {
            error(field, "expected a string, found \(node.summary)", into: &diagnostics)
            return nil
        }
        let text = scalar.string
        if let check, let problem = check(text) {
            error(field, problem, into: &diagnostics)
            return nil
        }
        return text
    }

    mutating func bool(_ field: String, into diagnostics: inout [DefinitionDiagnostic]) -> Bool? {
        guard let node = node(field) else { return nil }
        guard let value = node.boolValue else {
            error(field, "expected true or false, found \(node.summary)", into: &diagnostics)
            return nil
        }
        return value
    }

    mutating func enumValue<Value: RawRepresentable & CaseIterable>(
        _ field: String, as type: Value.Type, required: Bool = false, into diagnostics: inout [DefinitionDiagnostic]
    ) -> Value? where Value.RawValue == String {
        let choices = Value.allCases.map { $0.rawValue }.joined(separator: ", ")
        guard let node = node(field) else {
            if required { error(field, "required field is missing; expected one of \(choices)", into: &diagnostics) }
            return nil
        }
        guard let text = node.stringValue, let value = Value(rawValue: text) else {
            error(field, "expected one of \(choices), found \(node.summary)", into: &diagnostics)
            return nil
        }
        return value
    }

    /// A list of strings; `nullable` accepts null (an empty value) as an empty list.
    mutating func stringList(
        _ field: String, required: Bool = false, nullable: Bool = false, into diagnostics: inout [DefinitionDiagnostic]
    ) -> [String]? {
        guard let node = node(field) else {
            if required { error(field, "required field is missing; expected a list of strings", into: &diagnostics) }
            return nil
        }
        if node.isNull {
            if !nullable { error(field, "expected a list of strings, found null", into: &diagnostics) }
            return nullable ? [] : nil
        }
        guard case .sequence(let sequence) = node else {
            error(field, "expected a list of strings, found \(node.summary)", into: &diagnostics)
            return nil
        }
        var values: [String] = []
        for (index, element) in sequence.enumerated() {
            guard let text = element.stringValue else {
                error(
                    "\(field)[\(index)]", "expected a string, found \(element.summary)", line: element.line,
                    into: &diagnostics)
                continue
            }
            values.append(text)
        }
        return values
    }

    mutating func enumList<Value: RawRepresentable & CaseIterable & Equatable>(
        _ field: String, as type: Value.Type, required: Bool = false, nullable: Bool = false, unique: Bool = false,
        into diagnostics: inout [DefinitionDiagnostic]
    ) -> [Value]? where Value.RawValue == String {
        guard let texts = stringList(field, required: required, nullable: nullable, into: &diagnostics) else {
            return nil
        }
        let choices = Value.allCases.map { $0.rawValue }.joined(separator: ", ")
        var values: [Value] = []
        for text in texts {
            guard let value = Value(rawValue: text) else {
                error(field, "expected each item to be one of \(choices), found \"\(text)\"", into: &diagnostics)
                continue
            }
            if unique && values.contains(value) {
                error(field, "\"\(text)\" is listed twice; items must be unique", into: &diagnostics)
                continue
            }
            values.append(value)
        }
        return values
    }
}

extension Node {
    var line: Int { mark?.line ?? 0 }

    /// What a plain scalar is (`PlainScalar`); `nil` for quoted scalars, mappings, lists and aliases.
    var plainKind: PlainScalar? {
        guard case .scalar(let scalar) = self, scalar.style == .plain else { return nil }
        return PlainScalar(scalar.string)
    }

    var isNull: Bool { plainKind == .null }

    /// The text of a string scalar (quoted, or plain and not a number, boolean or null).
    var stringValue: String? {
        guard case .scalar(let scalar) = self else { return nil }
        let kind = plainKind
        return kind == nil || kind == .string ? scalar.string : nil
    }

    var boolValue: Bool? {
        if case .bool(let value) = plainKind { return value }
        return nil
    }

    /// A number scalar as a property value (integer or double).
    var numberValue: PropertyValue? {
        guard case .scalar(let scalar) = self, scalar.style == .plain else { return nil }
        switch PlainScalar(scalar.string) {
        case .integer: return Self.integer(scalar.string).map(PropertyValue.integer) ?? Self.double(scalar.string)
        case .float: return Self.double(scalar.string)
        default: return nil
        }
    }

    /// A YAML 1.1 integer's value: decimal, `0b`, `0o`/`0`, `0x`, `_` separators; `nil` beyond 64 bits or for the
    /// sexagesimal form (`1:30`).
    private static func integer(_ text: String) -> Int64? {
        var digits = Substring(text.replacingOccurrences(of: "_", with: ""))
        let negative = digits.first == "-"
        if digits.first == "-" || digits.first == "+" { digits = digits.dropFirst() }
        let radix: Int
        if digits.hasPrefix("0b") {
            radix = 2
            digits = digits.dropFirst(2)
        } else if digits.hasPrefix("0x") {
            radix = 16
            digits = digits.dropFirst(2)
        } else if digits.hasPrefix("0o") {
            radix = 8
            digits = digits.dropFirst(2)
        } else if digits.count > 1 && digits.hasPrefix("0") {
            radix = 8
            digits = digits.dropFirst()
        } else {
            radix = 10
        }
        guard let magnitude = Int64(digits, radix: radix) else { return nil }
        return negative ? -magnitude : magnitude
    }

    /// A YAML 1.1 float's value (`.inf`, `.nan`, `_` separators; sexagesimal `1:30.5` too).
    private static func double(_ text: String) -> PropertyValue? {
        let cleaned = text.replacingOccurrences(of: "_", with: "")
        switch cleaned.lowercased() {
        case ".inf", "+.inf": return .double(.infinity)
        case "-.inf": return .double(-.infinity)
        case ".nan": return .double(.nan)
        default: break
        }
        if cleaned.contains(":") {
            let negative = cleaned.hasPrefix("-")
            let parts = cleaned.trimmingCharacters(in: ["+", "-"]).split(separator: ":")
            var value = 0.0
            for part in parts {
                guard let number = Double(part) else { return nil }
                value = value * 60 + number
            }
            return .double(negative ? -value : value)
        }
        return Double(cleaned).map(PropertyValue.double)
    }

    /// "a mapping", "a list", "null", "number 16.9", "\"text\"", for messages.
    var summary: String {
        let node = self
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            switch node.plainKind {
            case .null: return "null"
            case .bool: return "boolean \(scalar.string)"
            case .integer, .float: return "number \(scalar.string)"
            case .string, nil: break
            }
            let text = scalar.string.count > 60 ? String(scalar.string.prefix(57)) + "…" : scalar.string
            return "\"\(text)\""
        }
    }

    /// The node as plain data, for `options` and `extra_properties`.
    var definitionValue: JSONValue {
        let node = self
        switch node {
        case .mapping(let mapping):
            return .object(mapping.map { ($0.key.scalar?.string ?? "\($0.key)", $0.value.definitionValue) })
        case .sequence(let sequence):
            return .array(sequence.map(\.definitionValue))
        case .alias:
            return .null
        case .scalar(let scalar):
            if node.isNull { return .null }
            if let value = node.boolValue { return .bool(value) }
            switch node.numberValue {
            case .integer(let value): return .integer(value)
            case .double(let value): return .double(value)
            default: return .string(scalar.string)
            }
        }
    }
}
