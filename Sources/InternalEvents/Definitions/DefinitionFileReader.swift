import Foundation
import Yams

/// Reads one definition file into a YAML node, turning every way a file can be unreadable into a diagnostic.
enum DefinitionFileReader {
    /// Definition files are small; anything bigger is a mistake (or an attack), refused before parsing.
    static let maximumFileSize = 1 << 20

    static func read(_ url: URL, displayPath: String, diagnostics: inout [DefinitionDiagnostic]) -> Node? {
        func fail(_ line: Int, _ field: String, _ message: String) -> Node? {
            diagnostics.append(
                DefinitionDiagnostic(severity: .error, file: displayPath, line: line, field: field, message: message))
            return nil
        }
        let data: Data
        do {
            let size = (try url.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0
            if size > maximumFileSize {
                return fail(0, "file", "is \(size) bytes; definition files are at most \(maximumFileSize) bytes")
            }
            data = try Data(contentsOf: url)
        } catch {
            return fail(0, "file", "can't be read: \(error.localizedDescription)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            let offset = firstInvalidUTF8Offset(data)
            let line = data.prefix(offset).reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
            return fail(line, "file", "is not valid UTF-8 (first bad byte at offset \(offset)); save it as UTF-8")
        }
        if text.allSatisfy(\.isWhitespace) {
            return fail(0, "file", "is empty; expected a mapping of definition fields")
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            return fail(error.line, "yaml", error.problem)
        } catch {
            return fail(0, "yaml", "\(error)")
        }
        guard let node, !node.isNull else {
            return fail(
                0, "file", "holds no YAML value (only comments or ---); expected a mapping of definition fields")
        }
        return node
    }

    private static func firstInvalidUTF8Offset(_ data: Data) -> Int {
        var offset = 0
        var iterator = data.makeIterator()
        var decoder = UTF8()
        var consumed = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                consumed += UTF8.width(scalar)
                offset = consumed
            case .emptyInput:
                return offset
            case .error:
                return offset
            }
        }
    }
}

extension YamlError {
    /// The 1-based line of a parse error, or 0.
    var line: Int {
        switch self {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): mark.line
        default: 0
        }
    }

    /// The problem, without the echoed source that `description` adds.
    var problem: String {
        switch self {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _),
            .composer(let context, let problem, _, _):
            "malformed YAML: \(problem)" + (context.map { " \($0.text)" } ?? "")
        case .reader(let problem, _, _, _): "unreadable YAML: \(problem)"
        case .duplicatedKeysInMapping(let duplicates, _): "a key appears twice: \(duplicates.joined(separator: ", "))"
        default: "malformed YAML: \(self)"
        }
    }
}
