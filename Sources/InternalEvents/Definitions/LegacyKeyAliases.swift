import Foundation

/// GitLab's legacy Redis key names, for installs that keep GitLab-era data (DESIGN.md §4).
///
/// - `totalCounters` (`total_counter_redis_key_overrides.yml`): full all-time counter key → legacy key,
///   `{event_counters}_create_merge_request` → `USAGE_MERGE_REQUEST_CREATE`.
/// - `rulePaths` (`hll_redis_key_overrides.yml`): a rule's path part → legacy name,
///   `g_edit_by_web_ide-user` → `g_edit_by_web_ide`.
public struct LegacyKeyAliases: Sendable, Hashable {
    public var totalCounters: [String: String]
    public var rulePaths: [String: String]

    public static let totalCounterFileName = "total_counter_redis_key_overrides.yml"
    public static let rulePathFileName = "hll_redis_key_overrides.yml"

    public init(totalCounters: [String: String] = [:], rulePaths: [String: String] = [:]) {
        self.totalCounters = totalCounters
        self.rulePaths = rulePaths
    }

    public var isEmpty: Bool { totalCounters.isEmpty && rulePaths.isEmpty }

    /// Where the override files may sit for a definitions folder: in it, or, for GitLab's own `config/` folder,
    /// in `../lib/gitlab/usage_data_counters/`.
    static func candidateDirectories(for definitions: URL) -> [URL] {
        [definitions, definitions.deletingLastPathComponent().appendingPathComponent("lib/gitlab/usage_data_counters")]
    }

    /// Reads whichever of the two files exist in `directory` into `self`.
    mutating func load(from directory: URL, diagnostics: inout [DefinitionDiagnostic]) {
        for (name, isTotal) in [(Self.totalCounterFileName, true), (Self.rulePathFileName, false)] {
            let url = directory.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: url.path) else { continue }
            guard let node = DefinitionFileReader.read(url, displayPath: url.path, diagnostics: &diagnostics) else {
                continue
            }
            guard let reader = YAMLNodeReader(node, file: url.path, path: "", diagnostics: &diagnostics) else {
                continue
            }
            for field in reader.fieldNames {
                guard let target = reader.mappingNode(field)?.stringValue else {
                    reader.error(field, "expected a legacy key name (a string)", into: &diagnostics)
                    continue
                }
                if isTotal { totalCounters[field] = target } else { rulePaths[field] = target }
            }
        }
    }
}
