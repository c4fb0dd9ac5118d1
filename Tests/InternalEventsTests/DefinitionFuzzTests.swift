import Foundation
import InternalEvents
import TallyTestSupport
import Testing

/// 10,000 mutated copies of real definition files (GitLab's corpus, else this repository's examples): fields
/// dropped, values swapped for other types, random bytes, truncations. Each loads, or fails with errors that all
/// name the file and a field; the loader never crashes.
@Suite("Definition fuzzing")
struct DefinitionFuzzTests {
    /// Source files: every event and metric file of the corpus.
    static let sources: [(kind: String, text: [UInt8])] = {
        let root =
            DefinitionFolder.gitLabCorpus ?? DefinitionFolder.packageRoot.appendingPathComponent("definitions")
        var files: [(String, [UInt8])] = []
        for kind in ["events", "metrics"] {
            let folder = root.appendingPathComponent(kind)
            let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)
            while let url = enumerator?.nextObject() as? URL {
                if url.pathExtension == "yml", let data = try? Data(contentsOf: url) {
                    files.append((kind, Array(data)))
                }
            }
        }
        return files.sorted { $0.1.lexicographicallyPrecedes($1.1) }
    }()

    @Test("2,500 mutations per seed: a catalog or errors naming file and field", arguments: [UInt64(11), 12, 13, 14])
    func mutations(seed: UInt64) throws {
        try #require(!Self.sources.isEmpty)
        if TestEnvironment.isCI { #expect(DefinitionFolder.gitLabCorpus != nil, "GitLab's corpus is missing") }
        var random = SeededGenerator(seed: seed)
        let folder = try DefinitionFolder()
        let loader = DefinitionLoader(options: .init(allowsUndefinedEvents: true))
        var outcomes = (loaded: 0, refused: 0)
        for index in 0..<2_500 {
            let source = Self.sources.randomElement(using: &random)!
            let mutated = Self.mutate(source.text, &random)
            let relative = "\(source.kind)/case.yml"
            let path = try folder.write(relative, Data(mutated))
            defer { try? FileManager.default.removeItem(atPath: path) }
            do {
                _ = try loader.load(from: [folder.url])
                outcomes.loaded += 1
            } catch {
                outcomes.refused += 1
                for diagnostic in error.errors {
                    let named = diagnostic.file.hasSuffix(relative) && !diagnostic.field.isEmpty
                    #expect(
                        named && !diagnostic.message.isEmpty,
                        "seed \(seed) case \(index): \(diagnostic)\n--- input ---\n\(String(decoding: mutated, as: UTF8.self))"
                    )
                }
                #expect(!error.errors.isEmpty, "seed \(seed) case \(index): refused without an error")
            }
        }
        print(
            "RELIABILITY scenario=7 seed=\(seed) mutations=2500 loaded=\(outcomes.loaded) refused=\(outcomes.refused) crashes=0"
        )
        #expect(outcomes.loaded > 0 && outcomes.refused > 0, "\(outcomes)")
    }

    static let replacementValues = [
        "", "~", "42", "-1", "3.5", "true", "[]", "{}", "[a, b]", "{a: 1}", "\"\"", "'x'", "!!binary aGk=", "&a 1",
        "*a", "|\n  text", "2025-01-01", "0x1F", ".inf", "null",
    ]

    /// One to three mutations of a file.
    static func mutate(_ original: [UInt8], _ random: inout SeededGenerator) -> [UInt8] {
        var bytes = original
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            var lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
                .map(String.init)
            switch Int.random(in: 0..<6, using: &random) {
            case 0 where !lines.isEmpty:
                // Drop a field (and whatever is nested under it).
                let start = Int.random(in: 0..<lines.count, using: &random)
                var end = start + 1
                while end < lines.count, lines[end].hasPrefix(" ") || lines[end].hasPrefix("-") { end += 1 }
                lines.removeSubrange(start..<end)
                bytes = Array(lines.joined(separator: "\n").utf8)
            case 1 where !lines.isEmpty:
                // Swap a value for one of another type.
                let index = Int.random(in: 0..<lines.count, using: &random)
                if let colon = lines[index].firstIndex(of: ":") {
                    lines[index] = lines[index][...colon] + " " + replacementValues.randomElement(using: &random)!
                }
                bytes = Array(lines.joined(separator: "\n").utf8)
            case 2 where !bytes.isEmpty:
                for _ in 0..<Int.random(in: 1...8, using: &random) {
                    bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
            case 3:
                bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &random)))
            case 4 where !lines.isEmpty:
                // Duplicate a line (a repeated key) or indent it wrongly.
                let index = Int.random(in: 0..<lines.count, using: &random)
                lines.insert(Bool.random(using: &random) ? lines[index] : "   " + lines[index], at: index)
                bytes = Array(lines.joined(separator: "\n").utf8)
            default:
                let position = Int.random(in: 0...bytes.count, using: &random)
                let noise = (0..<Int.random(in: 1...16, using: &random)).map { _ in
                    UInt8.random(in: 0...255, using: &random)
                }
                bytes.insert(contentsOf: noise, at: position)
            }
        }
        return bytes
    }
}
