import Foundation
import TallyTestSupport
import Testing

@Suite("tally definitions")
struct DefinitionsCLITests {
    @Test func validatesGitLabsCorpus() async throws {
        guard let corpus = DefinitionFolder.gitLabCorpus else {
            if TestEnvironment.isCI { Issue.record("GitLab corpus not found under CI") }
            return
        }
        let output = try await TallyBinary.run(["definitions", "validate", corpus.path])
        #expect(output.status == 0, "\(output.standardError.suffix(2000))")
        #expect(
            output.standardOutput.hasPrefix(
                "ok: loaded 149 events (65 internal, 84 legacy) and 200 metric files (205 metrics after time_frame expansion); 0 errors"
            ))
    }

    @Test func validatesTheShippedExamples() async throws {
        let output = try await TallyBinary.run([
            "definitions", "validate", "--strict",
            DefinitionFolder.packageRoot.appendingPathComponent("definitions").path,
        ])
        #expect(output.status == 0, "\(output.combined)")
        #expect(output.standardError.isEmpty, "the examples have no warnings")
    }

    @Test func reportsEveryErrorAndFails() async throws {
        let folder = try DefinitionFolder()
        try folder.write("events/a.yml", DefinitionFolder.event("Not-Valid"))
        try folder.write("events/b.yml", "- a list\n")
        let output = try await TallyBinary.run(["definitions", "validate", folder.url.path])
        #expect(output.status == 1)
        #expect(
            output.standardError.contains("events/a.yml:4: action: expected lowercase letters"),
            "\(output.standardError)")
        #expect(
            output.standardError.contains("events/b.yml:1: file: expected a mapping, found a list"),
            "\(output.standardError)")
        #expect(output.standardError.contains("2 error(s) in definitions"))
        #expect(output.standardOutput.isEmpty)
    }

    @Test func strictTurnsUnknownFieldsIntoErrors() async throws {
        let folder = try DefinitionFolder()
        try folder.write("events/a.yml", DefinitionFolder.event("a", extra: "colour: blue"))
        let relaxed = try await TallyBinary.run(["definitions", "validate", folder.url.path])
        #expect(relaxed.status == 0)
        #expect(relaxed.standardError.contains("a.yml:10: warning: colour: unknown field"))
        let strict = try await TallyBinary.run(["definitions", "validate", "--strict", folder.url.path])
        #expect(strict.status == 1)
        #expect(strict.standardError.contains("a.yml:10: colour: unknown field"))
    }

    @Test func listsAsTableAndJSON() async throws {
        let examples = DefinitionFolder.packageRoot.appendingPathComponent("definitions").path
        let table = try await TallyBinary.run(["definitions", "list", examples])
        #expect(table.status == 0)
        #expect(table.standardOutput.contains("counts.count_distinct_user_id_from_csv_exports_monthly"))
        #expect(table.standardOutput.contains("export_report (unique user, filter label:csv)"))
        let json = try await TallyBinary.run(
            ["definitions", "list", "--metrics", "--json"], environment: ["TALLY_DEFINITIONS": examples])
        #expect(json.status == 0, "\(json.combined)")
        let object = try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any]
        let metrics = try #require(object?["metrics"] as? [[String: Any]])
        #expect(object?["events"] == nil)
        #expect(metrics.count == 12)
        #expect(
            metrics.contains {
                ($0["key_path"] as? String) == "counts.sum_exported_rows_monthly"
                    && ($0["time_frame"] as? String) == "28d"
            })
    }

    @Test func newEventAndMetricWriteValidFiles() async throws {
        let folder = try DefinitionFolder()
        let event = try await TallyBinary.run([
            "definitions", "new", "event", "share_link", "--folder", folder.url.path, "--description",
            "A user shares a \"link\"",
            "--identifiers", "user,project", "--property", "label=Where it was shared", "--property",
            "property=Link kind",
            "--property", "channel=Custom: which channel",
        ])
        #expect(event.status == 0, "\(event.combined)")
        let metric = try await TallyBinary.run([
            "definitions", "new", "metric", "--folder", folder.url.path, "--key-path", "counts.users_sharing_links",
            "--description", "Users sharing links", "--event", "share_link", "--unique", "user.id", "--filter",
            "label=email",
            "--time-frame", "28d,7d",
        ])
        #expect(metric.status == 0, "\(metric.combined)")
        let validate = try await TallyBinary.run(["definitions", "list", "--json", folder.url.path])
        #expect(validate.status == 0, "\(validate.combined)")
        #expect(validate.standardOutput.contains("counts.users_sharing_links_weekly"))
        #expect(validate.standardOutput.contains("\"channel\" : \"Custom: which channel\""))
        let again = try await TallyBinary.run([
            "definitions", "new", "event", "share_link", "--folder", folder.url.path, "--description", "again",
        ])
        #expect(again.status != 0)
        #expect(again.standardError.contains("exists; pass --force"))
    }

    @Test func newRefusesBadInput() async throws {
        let folder = try DefinitionFolder()
        let badName = try await TallyBinary.run([
            "definitions", "new", "event", "Share-Link", "--folder", folder.url.path, "--description", "x",
        ])
        #expect(badName.status != 0)
        #expect(badName.standardError.contains("^[a-z0-9_]+$"))
        let badUnique = try await TallyBinary.run([
            "definitions", "new", "metric", "--folder", folder.url.path, "--key-path", "a.b", "--description", "x",
            "--event", "e",
            "--unique", "user.email", "--time-frame", "7d",
        ])
        #expect(badUnique.status != 0)
        #expect(badUnique.standardError.contains("--unique: \"user.email\""))
        let allTimeUnique = try await TallyBinary.run([
            "definitions", "new", "metric", "--folder", folder.url.path, "--key-path", "a.b", "--description", "x",
            "--event", "e",
            "--unique", "user.id", "--time-frame", "all",
        ])
        #expect(allTimeUnique.status == 1)
        #expect(
            allTimeUnique.standardError.contains("time_frame: unique counts exist per ISO week only"),
            "\(allTimeUnique.combined)")
        #expect(
            FileManager.default.enumerator(atPath: folder.url.appendingPathComponent("metrics").path)?.allObjects
                .isEmpty == true)
    }
}
