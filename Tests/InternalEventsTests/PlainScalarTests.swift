import Foundation
import TallyTestSupport
import Testing
import Yams

@testable import InternalEvents

/// The loader's own classification of plain scalars must agree with Yams' default resolver, which it replaces.
@Suite("Plain scalars as Yams resolves them")
struct PlainScalarTests {
    static let tricky = [
        "", "~", "null", "Null", "NULL", "nULL", "yes", "Yes", "YES", "yEs", "no", "on", "OFF", "true", "False", "y",
        "n", "0", "-0", "+0", "00", "01", "08", "0o17", "0o8", "0b101", "0b", "0b2", "0x1F", "0xg", "0x", "1_000",
        "_1", "1_", "12", "-12", "+12", "1:30", "1:60", "1:5:9", "0:30", "1.5", "1.", ".5", "-.5", ".5e+3", ".5e3",
        "1e3", "1E-3", "1.5e", "1:30.5", "1:30.", ".inf", "-.Inf", "+.INF", ".nan", ".NaN", "-.nan", ".NAN", "inf",
        "2025-01-02", "16.9", "'16.9'", "<<", "=", "text", "16.9a", "1_2.3_4", "0.0.1", "+", "-", ".", "1:", ":1",
        "0x_", "0b_", "0o_", "0_", "0_7", "-0b1", "+0x1", "1__2", "9223372036854775808",
    ]

    /// What Yams' default resolver makes of `text` as a plain scalar.
    static func yamsKind(_ text: String) throws -> PlainScalar? {
        guard case .mapping(let mapping)? = try Yams.compose(yaml: "k: \(text)\n"),
            let node = mapping.first?.value, case .scalar(let scalar) = node, scalar.style == .plain,
            scalar.string == text
        else { return nil }
        switch node.tag.description {
        case Tag.Name.null.rawValue: return .null
        case Tag.Name.bool.rawValue: return .bool(Bool(fromYAML: text))
        case Tag.Name.int.rawValue: return .integer
        case Tag.Name.float.rawValue: return .float
        default: return .string
        }
    }

    @Test func trickyScalarsAgree() throws {
        var checked = 0
        for text in Self.tricky {
            guard let expected = try? Self.yamsKind(text) else { continue }
            checked += 1
            #expect(PlainScalar(text) == expected, "\"\(text)\"")
        }
        #expect(checked > 70, "scalars Yams kept as written")
    }

    @Test func everyPlainScalarOfGitLabsTreesAgrees() throws {
        var scalars: Set<String> = []
        for corpus in [DefinitionFolder.gitLabCorpus, DefinitionFolder.gitLabCECorpus].compactMap({ $0 }) {
            for file in DefinitionLoader().definitionFiles(in: [corpus]) {
                guard let node = try Yams.compose(yaml: String(decoding: try Data(contentsOf: file), as: UTF8.self))
                else { continue }
                collect(node, into: &scalars)
            }
        }
        if scalars.isEmpty && TestEnvironment.isCI { Issue.record("no GitLab corpus under CI") }
        var checked = 0
        for text in scalars {
            guard let expected = try Self.yamsKind(text) else { continue }
            checked += 1
            #expect(PlainScalar(text) == expected, "\"\(text)\"")
        }
        if !scalars.isEmpty { #expect(checked > 1_000) }
    }

    private func collect(_ node: Node, into scalars: inout Set<String>) {
        switch node {
        case .scalar(let scalar) where scalar.style == .plain && !scalar.string.contains("\n"):
            if scalar.string.count < 80 { scalars.insert(scalar.string) }
        case .mapping(let mapping):
            for (key, value) in mapping {
                collect(key, into: &scalars)
                collect(value, into: &scalars)
            }
        case .sequence(let sequence):
            for element in sequence { collect(element, into: &scalars) }
        default:
            break
        }
    }
}

extension Bool {
    /// YAML 1.1's true words.
    fileprivate init(fromYAML text: String) {
        self = ["yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"].contains(text)
    }
}
