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
            // At most one byte more than allowed is read: a huge file is refused without being held in memory.
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            data = try handle.read(upToCount: maximumFileSize + 1) ?? Data()
        } catch {
            return fail(0, "file", "can't be read: \(error.localizedDescription)")
        }
        if data.count > maximumFileSize {
            let size = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? NSNumber
            let found = size.map { "\($0.intValue) bytes" } ?? "larger than that"
            return fail(0, "file", "is \(found); definition files are at most \(maximumFileSize) bytes")
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
            node = try composeKeepingLastOfRepeatedKeys(text, displayPath: displayPath, diagnostics: &diagnostics)
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

    /// Composes the file; when a top-level key repeats, keeps its last value, as GitLab's YAML loader (Psych) does,
    /// with a warning naming every line and the value kept. Repeats inside nested mappings stay errors.
    static func composeKeepingLastOfRepeatedKeys(
        _ text: String, displayPath: String, diagnostics: inout [DefinitionDiagnostic]
    ) throws -> Node? {
        do {
            return try Yams.compose(yaml: text, .basic, .default, .utf8)
        } catch YamlError.duplicatedKeysInMapping(let duplicates, let context) {
            let entries = TopLevelEntries(text)
            let dropped = entries.linesToBlank(keepingLastOf: Set(duplicates))
            guard !dropped.isEmpty else {
                throw YamlError.duplicatedKeysInMapping(duplicates: duplicates, context: context)
            }
            let node = try Yams.compose(yaml: entries.text(blanking: dropped), .basic, .default, .utf8)
            for key in duplicates.sorted() {
                let lines = entries.keyLines(of: key)
                guard lines.count > 1 else { continue }
                let kept = node?.mapping?.first { $0.key.string == key }?.value.summary ?? "null"
                diagnostics.append(
                    .init(
                        severity: .warning, file: displayPath, line: lines.last!, field: key,
                        message:
                            "appears on lines \(lines.map(String.init).joined(separator: ", ")); the last value (\(kept)) is kept, as GitLab's YAML loader does"
                    ))
            }
            return node
        }
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

/// The top-level entries of a YAML mapping file, found line by line: an entry starts at a line whose first column
/// holds a key (`name:`), and runs until the next such line. Block scalars, nested mappings and lists are indented,
/// so they stay inside their entry.
struct TopLevelEntries {
    private let lines: [Substring]
    /// Each entry's key and its first and last line (0-based, inclusive).
    private let entries: [(key: String, first: Int, last: Int)]

    init(_ text: String) {
        lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var entries: [(key: String, first: Int, last: Int)] = []
        var isOpen = false
        for (index, line) in lines.enumerated() {
            let key = Self.key(of: line)
            let endsDocument = line.hasPrefix("---") || line.hasPrefix("...")
            if (key != nil || endsDocument), isOpen, let last = entries.indices.last {
                entries[last].last = index - 1
                isOpen = false
            }
            if let key {
                entries.append((key, index, index))
                isOpen = true
            }
        }
        if isOpen, let last = entries.indices.last { entries[last].last = lines.count - 1 }
        self.entries = entries
    }

    /// The key of a line that starts a top-level entry: plain or quoted text at column 0, then `:` and a space or
    /// the end of the line.
    private static func key(of line: Substring) -> String? {
        guard let first = line.first else { return nil }
        let keyEnd: Substring.Index
        let key: String
        if first == "\"" || first == "'" {
            guard let close = line.dropFirst().firstIndex(of: first) else { return nil }
            key = String(line[line.index(after: line.startIndex)..<close])
            keyEnd = line.index(after: close)
            guard line[keyEnd...].hasPrefix(":") else { return nil }
        } else {
            if " \t#-[{?!&*|>%@`".contains(first) { return nil }
            guard let colon = line.firstIndex(of: ":") else { return nil }
            key = String(line[..<colon]).trimmingCharacters(in: .whitespaces)
            keyEnd = colon
        }
        let after = line[line.index(after: keyEnd)...]
        guard after.isEmpty || after.first == " " || after.first == "\t" else { return nil }
        return key
    }

    /// The 1-based lines where `key` starts an entry.
    func keyLines(of key: String) -> [Int] {
        entries.filter { $0.key == key }.map { $0.first + 1 }
    }

    /// The lines of every entry of a repeated key but its last.
    func linesToBlank(keepingLastOf keys: Set<String>) -> Set<Int> {
        var blank: Set<Int> = []
        for key in keys {
            let occurrences = entries.filter { $0.key == key }
            for entry in occurrences.dropLast() { blank.formUnion(entry.first...entry.last) }
        }
        return blank
    }

    /// The text with those lines emptied (so every other line keeps its number).
    func text(blanking blank: Set<Int>) -> String {
        lines.enumerated().map { blank.contains($0.offset) ? "" : String($0.element) }.joined(separator: "\n")
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
