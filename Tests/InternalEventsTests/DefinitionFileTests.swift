import Foundation
import InternalEvents
import TallyTestSupport
import Testing

/// Files that aren't definitions at all: each gets a clear error naming the file, never a crash.
@Suite("Unreadable definition files")
struct DefinitionFileTests {
    static let cases: [(String, Data, String, String)] = [
        ("malformed YAML", Data("description: [unclosed\naction: x\n".utf8), "yaml", "malformed YAML"),
        ("tab indentation", Data("description: x\n\taction: y\n".utf8), "yaml", "malformed YAML"),
        ("empty file", Data(), "file", "is empty"),
        ("only whitespace", Data("\n\n   \n".utf8), "file", "is empty"),
        ("only a comment", Data("# nothing here\n".utf8), "file", "holds no YAML value"),
        ("a list", Data("- description: x\n- action: y\n".utf8), "file", "expected a mapping, found a list"),
        ("a scalar", Data("just text\n".utf8), "file", "expected a mapping, found \"just text\""),
        (
            "not UTF-8", Data("description: caf".utf8) + Data([0xE9, 0x0A]) + Data("action: x\n".utf8), "file",
            "not valid UTF-8"
        ),
        // A repeated top-level key keeps its last value (see GitLabLoadingRulesTests); a nested one stays an error.
        (
            "duplicate nested key",
            Data("additional_properties:\n  label:\n    description: a\n  label:\n    description: b\n".utf8), "yaml",
            "label"
        ),
    ]

    @Test(arguments: cases)
    func eachGetsAClearError(what: String, content: Data, field: String, fragment: String) throws {
        let folder = try folder(events: ["bad.yml": "placeholder: 1"])
        try folder.write("events/bad.yml", content)
        let errors = loadDiagnostics(folder).filter { $0.severity == .error }
        let match = errors.first { $0.file.hasSuffix("events/bad.yml") && $0.field == field }
        #expect(match?.message.contains(fragment) == true, "\(what): \(errors.map(\.description))")
    }

    @Test func tenMegabytesAreRefusedBeforeParsing() throws {
        let folder = try folder()
        let big = "description: \"" + String(repeating: "x", count: 10 * 1024 * 1024) + "\"\n"
        try folder.write("metrics/huge.yml", big)
        let errors = loadDiagnostics(folder).filter { $0.severity == .error }
        #expect(errors.count == 1)
        #expect(errors.first?.field == "file")
        #expect(errors.first?.message.contains("definition files are at most 1048576 bytes") == true)
    }

    @Test func malformedYAMLGivesTheLine() throws {
        let folder = try folder(events: [
            "bad.yml": "description: ok\naction: x\nidentifiers: [user\nproduct_group: y\n"
        ])
        let error = try #require(loadDiagnostics(folder).first { $0.field == "yaml" })
        #expect(error.line >= 3, "\(error)")
    }

    @Test func allErrorsOfAllFilesInOneRun() throws {
        let folder = try folder(events: [
            "a.yml": DefinitionFolder.event("Bad"),
            "b.yml": "",
            "c.yml": DefinitionFolder.event("ok", identifiers: "[nobody]"),
            "test_event.yml": DefinitionFolder.event("test_event"),
        ])
        try folder.write("metrics/m.yml", DefinitionFolder.metric("counts.m", timeFrame: "1y"))
        let errors = loadDiagnostics(folder).filter { $0.severity == .error }
        #expect(
            Set(errors.map { URL(fileURLWithPath: $0.file).lastPathComponent }) == ["a.yml", "b.yml", "c.yml", "m.yml"])
    }

    @Test func foldersMustExistAndHoldDefinitions() throws {
        let empty = try DefinitionFolder()
        try FileManager.default.removeItem(at: empty.url.appendingPathComponent("events"))
        try FileManager.default.removeItem(at: empty.url.appendingPathComponent("metrics"))
        #expect(loadDiagnostics(empty).first?.message.contains("neither an events/ nor a metrics/ folder") == true)
        do {
            _ = try DefinitionLoader().load(from: [URL(fileURLWithPath: "/nonexistent/tally")])
            Issue.record("a missing folder loaded")
        } catch {
            #expect(error.errors.first?.message.contains("does not exist") == true)
        }
    }

    @Test func severalFoldersCombine() throws {
        let app = try folder(events: ["app.yml": DefinitionFolder.event("app_event")])
        let plugin = try DefinitionFolder()
        try plugin.write("events/deep/below/plugin.yml", DefinitionFolder.event("plugin_event"))
        try plugin.write("metrics/x/y/m.yml", DefinitionFolder.metric("plugin.uses", events: "- name: app_event"))
        let catalog = try DefinitionLoader().load(from: [app.url, plugin.url])
        #expect(catalog.events.keys.sorted() == ["app_event", "plugin_event"])
        #expect(catalog.metrics.map(\.keyPath) == ["plugin.uses"])
    }
}
