import Yams

/// A YAML document as values with the line each came from, typed by YAML 1.1's rules for plain scalars (what
/// GitLab's Ruby reads): `true`/`yes`/`on` are booleans, `12` an integer, `~` and empty values null; quoted scalars
/// are always strings.
struct YAMLTree: Sendable {
    enum Value: Sendable {
        case null
        case bool(Bool)
        case integer(Int)
        case number(Double)
        case string(String)
        case list([YAMLTree])
        case mapping([(key: String, keyLine: Int, value: YAMLTree)])
    }

    let value: Value
    /// 1-based line.
    let line: Int

    /// Reads one YAML document; a syntax error is one issue naming its line.
    static func parse(_ text: String, file: String) throws(DashboardLoadError) -> YAMLTree {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            var line = 1
            switch error {
            case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
                line = mark.line
            default: break
            }
            throw DashboardLoadError(issues: [
                DashboardIssue(file: file, line: line, field: "file", message: "not valid YAML: \(error)")
            ])
        } catch {
            throw DashboardLoadError(issues: [
                DashboardIssue(file: file, line: 1, field: "file", message: "not valid YAML: \(error)")
            ])
        }
        guard let node else { return YAMLTree(value: .null, line: 1) }
        return YAMLTree(node)
    }

    init(value: Value, line: Int) {
        self.value = value
        self.line = line
    }

    init(_ node: Node) {
        line = (node.mark?.line ?? 0)
        switch node {
        case .scalar(let scalar):
            value = scalar.style == .plain ? Self.plain(scalar.string) : .string(scalar.string)
        case .sequence(let sequence):
            value = .list(sequence.map(YAMLTree.init))
        case .mapping(let mapping):
            value = .mapping(
                mapping.map { key, value in
                    (key.scalar?.string ?? "\(key)", key.mark?.line ?? 0, YAMLTree(value))
                })
        case .alias:
            value = .null
        }
    }

    private static func plain(_ text: String) -> Value {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON": return .bool(true)
        case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF": return .bool(false)
        default: break
        }
        let digits = text.hasPrefix("-") || text.hasPrefix("+") ? text.dropFirst() : Substring(text)
        if !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let integer = Int(text) {
            return .integer(integer)
        }
        if text.contains("."), text.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }),
            let number = Double(text)
        {
            return .number(number)
        }
        return .string(text)
    }

    /// What the value is, for messages ("a string", "a list").
    var kind: String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .integer: "an integer"
        case .number: "a number"
        case .string: "a string"
        case .list: "a list"
        case .mapping: "a mapping"
        }
    }

    var string: String? {
        if case .string(let text) = value { return text }
        return nil
    }

    var isNull: Bool {
        if case .null = value { return true }
        return false
    }
}
