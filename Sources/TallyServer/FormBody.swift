import InternalEvents

/// An `application/x-www-form-urlencoded` body read the way GitLab's API (Grape on Rack) reads one, with Rack's
/// nested-parameter rules, into the same shape a JSON body has:
///
/// - pairs are separated by `&`; `+` is a space and `%XX` a byte, and the decoded text must be UTF-8;
/// - `a=1` is a text value (the last one wins), `a` without `=` a null;
/// - `a[b]=1` nests `{"a": {"b": "1"}}`, to any depth up to 32 levels (Rack's `param_depth_limit`);
/// - `a[]=1&a[]=2` is the list `["1", "2"]`;
/// - `a[][b]=1&a[][c]=2&a[][b]=3` is a list of objects: a pair goes into the list's last object unless that
///   object has its key already, which starts a new one (`[{"b": "1", "c": "2"}, {"b": "3"}]`).
///
/// Every value is text: the field readers coerce ids and flags as Grape coerces the declared types. A name used
/// both as a value and as a list or as nested fields (`a=1&a[b]=2`) is a 400 naming it, as Rack refuses it.
enum FormBody {
    /// Rack's `param_depth_limit`: the most bracket levels a name may have.
    static let maximumDepth = 32

    /// The body's parameters, in the order they first appear.
    static func parse(_ body: some Collection<UInt8>) throws(APIError) -> [(key: String, value: JSONValue)] {
        let root = FormMap()
        for pair in body.split(separator: UInt8(ascii: "&")) {
            let equals = pair.firstIndex(of: UInt8(ascii: "="))
            let name = try decode(pair[..<(equals ?? pair.endIndex)])
            var value: String?
            if let equals { value = try decode(pair[pair.index(after: equals)...]) }
            _ = try insert(value, name: Substring(name), depth: 0, into: root, path: "")
        }
        return root.pairs
    }

    // MARK: Names

    /// What inserting a pair did, as Rack's `normalize_params` returns it to its caller.
    private enum Inserted {
        /// Stored into the map given.
        case stored
        /// A trailing `[]` below the top level: the value alone, as a one-element list.
        case list
        /// An empty name: nothing.
        case nothing
    }

    /// Stores `value` at `name` (what is left of the parameter's name) inside `map`. `path` is the part of the name
    /// already taken, for errors.
    private static func insert(
        _ value: String?, name: Substring, depth: Int, into map: FormMap, path: String
    ) throws(APIError) -> Inserted {
        let (key, rest) = split(name, depth: depth)
        if key.isEmpty { return .nothing }
        let here = depth == 0 ? key : "\(path)[\(key == "[]" ? "" : key)]"
        guard depth < maximumDepth else {
            throw .invalid(here, "the name has more than \(maximumDepth) levels of brackets")
        }
        switch rest {
        case "":
            if key == "[]" && depth > 0 { return .list }
            map[key] = .text(value)
        case "[":
            map[String(name)] = .text(value)
        case "[]":
            try list(at: key, in: map, path: here).elements.append(.text(value))
        case _ where rest.hasPrefix("[]"):
            let child = childName(afterList: rest.dropFirst(2))
            let list = try list(at: key, in: map, path: here)
            if case .map(let last)? = list.elements.last, !last.contains(path: child) {
                _ = try insert(value, name: child, depth: depth + 1, into: last, path: here + "[]")
            } else {
                let fresh = FormMap()
                switch try insert(value, name: child, depth: depth + 1, into: fresh, path: here + "[]") {
                case .stored: list.elements.append(.map(fresh))
                case .list: list.elements.append(.list(FormList([.text(value)])))
                case .nothing: list.elements.append(.text(nil))
                }
            }
        default:
            _ = try insert(
                value, name: rest, depth: depth + 1, into: nestedMap(at: key, in: map, path: here), path: here)
        }
        return .stored
    }

    /// The first name part and what follows it. At the top level the part runs to the first `[` after the first
    /// character; below it, `[]` is a list and `[key]` a field; anything else is taken whole, as Rack does.
    private static func split(_ name: Substring, depth: Int) -> (key: String, rest: Substring) {
        if depth == 0 {
            guard let open = name.dropFirst().firstIndex(of: "[") else { return (String(name), "") }
            return (String(name[..<open]), name[open...])
        }
        if name.hasPrefix("[]") { return ("[]", name.dropFirst(2)) }
        if name.hasPrefix("["), let close = name.dropFirst().firstIndex(of: "]") {
            return (String(name[name.index(after: name.startIndex)..<close]), name[name.index(after: close)...])
        }
        return (String(name), "")
    }

    /// The name inside a list element: `b` for `[][b]`, else everything after `[]`.
    private static func childName(afterList rest: Substring) -> Substring {
        guard rest.hasPrefix("["), rest.hasSuffix("]"), rest.count > 2 else { return rest }
        let inner = rest.dropFirst().dropLast()
        return inner.contains("[") || inner.contains("]") ? rest : inner
    }

    private static func list(at key: String, in map: FormMap, path: String) throws(APIError) -> FormList {
        switch map[key] {
        case nil:
            let list = FormList([])
            map[key] = .list(list)
            return list
        case .list(let list)?: return list
        case let other?: throw conflict(path, was: other, wanted: "a list (\(path)[])")
        }
    }

    private static func nestedMap(at key: String, in map: FormMap, path: String) throws(APIError) -> FormMap {
        switch map[key] {
        case nil:
            let nested = FormMap()
            map[key] = .map(nested)
            return nested
        case .map(let nested)?: return nested
        case let other?: throw conflict(path, was: other, wanted: "nested fields (\(path)[…])")
        }
    }

    private static func conflict(_ path: String, was node: FormNode, wanted: String) -> APIError {
        let given =
            switch node {
            case .text: "a single value"
            case .list: "a list"
            case .map: "nested fields"
            }
        return .invalid(path, "the form gives it both as \(given) and as \(wanted)")
    }

    // MARK: Bytes

    /// `+` as a space, `%XX` as the byte, then UTF-8 text (400 otherwise).
    private static func decode(_ bytes: some Collection<UInt8>) throws(APIError) -> String {
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            index = bytes.index(after: index)
            switch byte {
            case UInt8(ascii: "+"): decoded.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard index != bytes.endIndex, let high = hexValue(bytes[index]) else { throw badEncoding }
                index = bytes.index(after: index)
                guard index != bytes.endIndex, let low = hexValue(bytes[index]) else { throw badEncoding }
                index = bytes.index(after: index)
                decoded.append(high << 4 | low)
            default: decoded.append(byte)
            }
        }
        guard let text = String(validating: decoded, as: UTF8.self) else {
            throw APIError(.badRequest, "form body is not valid UTF-8 once decoded", field: "body")
        }
        return text
    }

    private static let badEncoding = APIError(
        .badRequest, "form body has an invalid %-escape (expected % and two hex digits)", field: "body")

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// A parsed form value while the body is read: reference types, so a pair can fill a list's last object in place.
private enum FormNode {
    case text(String?)
    case list(FormList)
    case map(FormMap)

    var json: JSONValue {
        switch self {
        case .text(let text): text.map { .string($0) } ?? .null
        case .list(let list): .array(list.elements.map(\.json))
        case .map(let map): .object(map.pairs)
        }
    }
}

private final class FormList {
    var elements: [FormNode]

    init(_ elements: [FormNode]) {
        self.elements = elements
    }
}

/// Fields in the order they first appeared; setting a field again keeps its place, as a Ruby hash does.
private final class FormMap {
    private var keys: [String] = []
    private var entries: [String: FormNode] = [:]

    subscript(key: String) -> FormNode? {
        get { entries[key] }
        set {
            if entries.updateValue(newValue ?? .text(nil), forKey: key) == nil { keys.append(key) }
        }
    }

    var pairs: [(key: String, value: JSONValue)] {
        keys.map { ($0, entries[$0]?.json ?? .null) }
    }

    /// Whether the nested field `path` (`b`, or `[b][c]`) exists: Rack's `params_hash_has_key?`. A path with `[]`
    /// never does.
    func contains(path: Substring) -> Bool {
        if path.contains("[]") { return false }
        var node = FormNode.map(self)
        for part in path.split(whereSeparator: { $0 == "[" || $0 == "]" }) {
            guard case .map(let map) = node, let next = map[String(part)] else { return false }
            node = next
        }
        return true
    }
}
