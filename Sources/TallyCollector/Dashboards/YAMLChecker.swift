/// Reads a `YAMLTree` by a schema's rules, collecting an issue (file, line, field path) for each break of them:
/// unknown keys (the schemas forbid additional properties), missing required keys, wrong types, values outside
/// an enum.
///
/// Not `Sendable`: one loader uses it for one file.
final class YAMLChecker {
    let file: String
    private(set) var issues: [DashboardIssue] = []

    init(file: String) { self.file = file }

    func fail(_ tree: YAMLTree, _ path: String, _ message: String, line: Int? = nil) {
        issues.append(
            DashboardIssue(file: file, line: line ?? tree.line, field: path.isEmpty ? "file" : path, message: message))
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// A mapping's entries by key, after checking that it is a mapping, that every key is one of `allowed`, and
    /// that every `required` key is there. Nil (with an issue) when it isn't a mapping.
    func mapping(
        _ tree: YAMLTree, _ path: String, allowed: [String], required: [String] = []
    ) -> [String: YAMLTree]? {
        guard case .mapping(let entries) = tree.value else {
            fail(tree, path, "expected a mapping, found \(tree.kind)")
            return nil
        }
        var fields: [String: YAMLTree] = [:]
        for entry in entries {
            if !allowed.contains(entry.key) {
                fail(
                    tree, Self.join(path, entry.key),
                    "unknown key; expected one of \(allowed.joined(separator: ", "))", line: entry.keyLine)
            }
            fields[entry.key] = entry.value
        }
        for key in required where fields[key] == nil {
            fail(tree, Self.join(path, key), "required")
        }
        return fields
    }

    func string(_ tree: YAMLTree?, _ path: String) -> String? {
        guard let tree else { return nil }
        switch tree.value {
        case .string(let text): return text
        default:
            fail(tree, path, "expected a string, found \(tree.kind)")
            return nil
        }
    }

    func integer(_ tree: YAMLTree?, _ path: String) -> Int? {
        guard let tree else { return nil }
        if case .integer(let value) = tree.value { return value }
        fail(tree, path, "expected an integer, found \(tree.kind)")
        return nil
    }

    func number(_ tree: YAMLTree?, _ path: String) -> Double? {
        guard let tree else { return nil }
        switch tree.value {
        case .integer(let value): return Double(value)
        case .number(let value): return value
        default:
            fail(tree, path, "expected a number, found \(tree.kind)")
            return nil
        }
    }

    func bool(_ tree: YAMLTree?, _ path: String) -> Bool? {
        guard let tree else { return nil }
        if case .bool(let value) = tree.value { return value }
        fail(tree, path, "expected true or false, found \(tree.kind)")
        return nil
    }

    func list(_ tree: YAMLTree?, _ path: String) -> [YAMLTree]? {
        guard let tree else { return nil }
        if case .list(let items) = tree.value { return items }
        fail(tree, path, "expected a list, found \(tree.kind)")
        return nil
    }

    func strings(_ tree: YAMLTree?, _ path: String) -> [String]? {
        guard let items = list(tree, path) else { return nil }
        return items.enumerated().compactMap { index, item in string(item, "\(path)[\(index)]") }
    }

    /// A string that must be one of `values`.
    func oneOf(_ tree: YAMLTree?, _ path: String, _ values: [String]) -> String? {
        guard let tree, let text = string(tree, path) else { return nil }
        guard values.contains(text) else {
            fail(tree, path, "\"\(text)\" is not one of \(values.joined(separator: ", "))")
            return nil
        }
        return text
    }

    /// `errors:` (a list of strings or null), which both schemas allow and Tally ignores.
    func errorsField(_ tree: YAMLTree?, _ path: String) {
        guard let tree, !tree.isNull else { return }
        _ = strings(tree, path)
    }
}
