import InternalEvents

/// Builds a nested object from dotted key paths, in the order values are added:
/// `counts.notes` = 5 → `{"counts": {"notes": 5}}`.
struct KeyPathTree {
    private final class Node {
        var value: JSONValue?
        var children: [(key: String, node: Node)] = []

        func child(_ key: String) -> Node {
            if let existing = children.first(where: { $0.key == key }) { return existing.node }
            let node = Node()
            children.append((key, node))
            return node
        }

        var json: JSONValue {
            if let value { return value }
            return .object(children.map { ($0.key, $0.node.json) })
        }
    }

    private let root = Node()

    /// Adds a value; returns a problem if the path clashes with one added before (a value where an object is, or
    /// the reverse), in which case nothing is added.
    mutating func insert(_ value: JSONValue, at path: String) -> String? {
        let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !parts.contains(where: \.isEmpty) else { return "key path \"\(path)\" has an empty part" }
        var node = root
        for (index, part) in parts.enumerated() {
            if node.value != nil { return "key path \"\(path)\" runs through a value set by a shorter key path" }
            node = node.child(part)
            if index == parts.count - 1 {
                if node.value != nil || !node.children.isEmpty {
                    return "key path \"\(path)\" is already used"
                }
                node.value = value
            }
        }
        return nil
    }

    var json: JSONValue { root.json }
}
