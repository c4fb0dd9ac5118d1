import Foundation

/// A page's query parameters (`?range=7d&action=…`), the last value winning, empty values dropped.
struct PageParameters: Sendable {
    /// A parameter a page can't use: answered 400 with the parameter's name.
    struct Invalid: Error, Sendable {
        var parameter: String
        var message: String
    }

    private var values: [String: String] = [:]

    init(_ pairs: [(String, String)]) {
        for (name, value) in pairs where !value.isEmpty { values[name] = value }
    }

    /// Reads `a=1&b=x%20y` (`+` is a space, as forms send it).
    init(query: String?) {
        var pairs: [(String, String)] = []
        for piece in (query ?? "").split(separator: "&") {
            let parts = piece.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                let spaced = text.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            pairs.append((decode(parts[0]), parts.count > 1 ? decode(parts[1]) : ""))
        }
        self.init(pairs)
    }

    subscript(name: String) -> String? { values[name] }

    /// A copy with `name` set (or removed with nil).
    func setting(_ name: String, _ value: String?) -> PageParameters {
        var copy = self
        copy.values[name] = value
        return copy
    }

    /// `?a=1&b=2`, sorted by name (stable links), or "" when empty.
    var queryString: String {
        guard !values.isEmpty else { return "" }
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+#")
        return "?"
            + values.sorted { $0.key < $1.key }.map { name, value in
                "\(name.addingPercentEncoding(withAllowedCharacters: allowed) ?? name)="
                    + (value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)
            }.joined(separator: "&")
    }
}
