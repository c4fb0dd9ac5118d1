import Foundation

/// A temporary definitions folder (`events/`, `metrics/`) that tests fill with YAML files.
public final class DefinitionFolder: Sendable {
    public let url: URL

    public init() throws {
        url = try TestEnvironment.makeTemporaryDirectory("tally-definitions")
        try FileManager.default.createDirectory(
            at: url.appendingPathComponent("events"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(
            at: url.appendingPathComponent("metrics"), withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }

    /// Writes `text` to `relativePath` and returns the file's full path.
    @discardableResult
    public func write(_ relativePath: String, _ text: String) throws -> String {
        try write(relativePath, Data(text.utf8))
    }

    /// Writes raw bytes to `relativePath` and returns the file's full path.
    @discardableResult
    public func write(_ relativePath: String, _ data: Data) throws -> String {
        let file = url.appendingPathComponent(relativePath)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: file)
        return file.path
    }

    /// A valid internal event definition, with extra lines appended.
    public static func event(
        _ action: String, identifiers: String = "[user, project, namespace]", extra: String = ""
    ) -> String {
        """
        ---
        description: Test event \(action)
        internal_events: true
        action: \(action)
        identifiers: \(identifiers)
        product_group: testing
        milestone: '1.0'
        introduced_by_url: https://example.com/mr/1
        tiers: [free, premium, ultimate]
        \(extra)
        """
    }

    /// A valid internal-events metric definition; `events` is the YAML list under `events:`.
    public static func metric(
        _ keyPath: String, timeFrame: String = "28d", events: String = "- name: test_event", extra: String = ""
    ) -> String {
        """
        ---
        key_path: \(keyPath)
        description: Test metric
        product_group: testing
        value_type: number
        status: active
        milestone: '1.0'
        introduced_by_url: https://example.com/mr/1
        time_frame: \(timeFrame)
        data_source: internal_events
        data_category: optional
        events:
        \(events)
        tiers: [free]
        \(extra)
        """
    }

    /// A folder with the event `click` (identifier user) and a weekly unique-users metric reading it: a buffer
    /// that grows with every new user.
    public static func clicksWithUniqueUsers() throws -> DefinitionFolder {
        let folder = try DefinitionFolder()
        try folder.write("events/e.yml", event("click", identifiers: "[user]"))
        try folder.write(
            "metrics/u.yml", metric("m.users", timeFrame: "7d", events: "- name: click\n  unique: user.id"))
        return folder
    }

    /// A valid database metric counting the rows of `table` (all time).
    public static func databaseMetric(_ keyPath: String, table: String) -> String {
        databaseMetric(keyPath, extra: "options:\n  table: \(table)\n")
    }

    /// An all-time database metric without events, with `extra` YAML lines appended (options, a class).
    public static func databaseMetric(_ keyPath: String, extra: String) -> String {
        metric(keyPath, timeFrame: "all").replacingOccurrences(
            of: "data_source: internal_events", with: "data_source: database"
        ).replacingOccurrences(of: "events:\n- name: test_event\n", with: "") + extra
    }

    /// GitLab's corpus folder (`config/`): `TALLY_GITLAB_CONFIG`, else `../shared/compat/gitlab/config` beside the
    /// package; `nil` when neither exists.
    public static var gitLabCorpus: URL? {
        var candidates: [URL] = []
        if let configured = ProcessInfo.processInfo.environment["TALLY_GITLAB_CONFIG"], !configured.isEmpty {
            candidates.append(URL(fileURLWithPath: configured))
        }
        candidates.append(packageRoot.deletingLastPathComponent().appendingPathComponent("shared/compat/gitlab/config"))
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("metrics").path) }
    }

    /// GitLab's current CE tree (`config/`, with `lib/gitlab/usage_data_counters/` beside it):
    /// `TALLY_GITLAB_CE_CONFIG`, else `../shared/compat/gitlab-ce/config` beside the package; `nil` when neither
    /// exists.
    public static var gitLabCECorpus: URL? {
        var candidates: [URL] = []
        if let configured = ProcessInfo.processInfo.environment["TALLY_GITLAB_CE_CONFIG"], !configured.isEmpty {
            candidates.append(URL(fileURLWithPath: configured))
        }
        candidates.append(
            packageRoot.deletingLastPathComponent().appendingPathComponent("shared/compat/gitlab-ce/config"))
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("metrics").path) }
    }

    /// Makes the folder look like GitLab's own `config/` (the loader recognises it by `metrics/schema/base.json`).
    public func markAsGitLabConfig() throws {
        try write("metrics/schema/base.json", "{}")
    }

    /// The package's root folder (where Package.swift is).
    public static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }
}
