import Foundation
import InternalEvents
import TallyTestSupport
import Testing

/// GitLab's own definition files (../shared/compat/gitlab) must all load and validate.
@Suite("GitLab compatibility corpus")
struct CompatibilityCorpusTests {
    /// The corpus, or a recorded failure under CI; elsewhere the test says why it does nothing.
    func corpus() -> URL? {
        if let url = DefinitionFolder.gitLabCorpus { return url }
        if TestEnvironment.isCI {
            Issue.record("GitLab corpus not found: set TALLY_GITLAB_CONFIG or provide ../shared/compat/gitlab/config")
        } else {
            print(
                "note: GitLab corpus not found (TALLY_GITLAB_CONFIG or ../shared/compat/gitlab/config); corpus checks not run"
            )
        }
        return nil
    }

    @Test func everyFileLoadsAndValidates() throws {
        guard let config = corpus() else { return }
        let catalog = try DefinitionLoader().load(from: [config])
        #expect(catalog.events.count == 65, "internal events")
        #expect(catalog.legacyEvents.count == 84, "legacy Snowplow events")
        #expect(Set(catalog.metrics.map(\.source.file)).count == 200, "metric files")
        #expect(
            catalog.metrics.count == 205, "metrics after time_frame expansion: 3 × [28d, 7d] and 1 × [28d, 7d, all]")
        #expect(catalog.warnings.allSatisfy { $0.severity == .warning })
        let files = Dictionary(grouping: catalog.metrics, by: \.source.file).mapValues { $0[0] }.values
        #expect(files.filter { $0.dataSource == .internalEvents }.count == 18)
        #expect(files.filter { $0.dataSource == .redisHLL }.count == 66)
        #expect(files.filter { $0.dataSource == .database }.count == 66)
        #expect(files.filter { $0.status == .active }.count == 171)
        #expect(files.filter { $0.status == .removed }.count == 28)
        #expect(files.filter { $0.status == .broken }.count == 1)
    }

    @Test func expandsRunnerMetricIntoThreeFrames() throws {
        guard let config = corpus() else { return }
        let catalog = try DefinitionLoader().load(from: [config])
        let expanded = catalog.metrics.filter { $0.source.file.hasSuffix("count_total_create_ci_runner.yml") }
        #expect(expanded.count == 3)
        #expect(Set(expanded.map(\.timeFrame)) == [.sevenDays, .twentyEightDays, .all])
        let base = try #require(expanded.first?.declaredKeyPath)
        #expect(Set(expanded.map(\.keyPath)) == [base + "_weekly", base + "_monthly", base])
    }

    @Test func strictModeStillPasses() throws {
        guard let config = corpus() else { return }
        _ = try DefinitionLoader(options: .init(strict: true)).load(from: [config])
    }

    @Test func gitLabsProductGroupListRejectsTheKnownInvalidFiles() throws {
        guard let config = corpus() else { return }
        let groupsFile = config.appendingPathComponent("metrics/schema/product_groups.json")
        let schema = try JSONSerialization.jsonObject(with: Data(contentsOf: groupsFile)) as? [String: Any]
        let groups = Set((schema?["enum"] as? [String]) ?? [])
        #expect(groups.count > 50)
        // The whole corpus passes with GitLab's own list…
        _ = try DefinitionLoader(options: .init(productGroups: groups)).load(from: [config])
        // …and the newer files GitLab's bundled schemas reject fail here too, naming file and field.
        let invalid = config.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("gitlab-extras/known-invalid/config")
        guard FileManager.default.fileExists(atPath: invalid.path) else {
            Issue.record("gitlab-extras/known-invalid is missing beside the corpus")
            return
        }
        do {
            _ = try DefinitionLoader(options: .init(productGroups: groups)).load(from: [invalid])
            Issue.record("known-invalid files were accepted")
        } catch {
            let text = error.errors.map(\.description)
            #expect(text.contains { $0.contains("render_blob_embed_in_markdown.yml") && $0.contains("product_group") })
            // The other two declare custom properties without label/property/value: the older event schema refused
            // that, GitLab's current one (and Tally, which follows the newer rule) accepts it.
            #expect(text.allSatisfy { $0.contains("render_blob_embed_in_markdown") }, "\(text)")
        }
    }
}
