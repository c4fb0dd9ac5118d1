import Foundation
import Yams

/// GitLab's legacy Redis key names, for installs that keep GitLab-era data (DESIGN.md §4).
///
/// - `totalCounters` (`total_counter_redis_key_overrides.yml`): full all-time counter key → legacy key,
///   `{event_counters}_create_merge_request` → `USAGE_MERGE_REQUEST_CREATE`.
/// - `rulePaths` (`hll_redis_key_overrides.yml`): a rule's path part → legacy name,
///   `g_edit_by_web_ide-user` → `g_edit_by_web_ide`.
/// - `uniqueEvents` (`hll_redis_legacy_events.yml`): GitLab's legacy unique events, which have no definition file
///   but are known events all the same (`RedisHLLMetric` reads them, `increment_unique_users` writes them).
public struct LegacyKeyAliases: Sendable, Hashable, Codable {
    public var totalCounters: [String: String]
    public var rulePaths: [String: String]
    public var uniqueEvents: Set<String>

    public static let totalCounterFileName = "total_counter_redis_key_overrides.yml"
    public static let rulePathFileName = "hll_redis_key_overrides.yml"
    public static let uniqueEventsFileName = "hll_redis_legacy_events.yml"
    static let fileNames = [totalCounterFileName, rulePathFileName, uniqueEventsFileName]
    /// Where GitLab keeps the three files, relative to its `config/` folder's parent.
    static let gitLabCountersFolder = "lib/gitlab/usage_data_counters"

    public init(
        totalCounters: [String: String] = [:], rulePaths: [String: String] = [:], uniqueEvents: Set<String> = []
    ) {
        self.totalCounters = totalCounters
        self.rulePaths = rulePaths
        self.uniqueEvents = uniqueEvents
    }

    public var isEmpty: Bool { totalCounters.isEmpty && rulePaths.isEmpty && uniqueEvents.isEmpty }

    /// Where the files may sit for a definitions folder: in it, and, only for GitLab's own `config/` folder, in
    /// `../lib/gitlab/usage_data_counters/` (an app's folder that happens to have such a neighbour keeps its keys).
    static func candidateDirectories(for definitions: URL, isGitLabConfig: Bool) -> [URL] {
        guard isGitLabConfig else { return [definitions] }
        return [definitions, definitions.deletingLastPathComponent().appendingPathComponent(gitLabCountersFolder)]
    }

    /// Reads whichever of the three files exist in `directory` into `self`.
    mutating func load(from directory: URL, diagnostics: inout [DefinitionDiagnostic]) {
        for name in Self.fileNames {
            let url = directory.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: url.path) else { continue }
            let display = DefinitionLoader.displayPath(url)
            guard let node = DefinitionFileReader.read(url, displayPath: display, diagnostics: &diagnostics) else {
                continue
            }
            if name == Self.uniqueEventsFileName {
                loadUniqueEvents(node, file: display, diagnostics: &diagnostics)
                continue
            }
            guard let reader = YAMLNodeReader(node, file: display, path: "", diagnostics: &diagnostics) else {
                continue
            }
            for field in reader.fieldNames {
                guard let target = reader.mappingNode(field)?.stringValue else {
                    reader.error(field, "expected a legacy key name (a string)", into: &diagnostics)
                    continue
                }
                if name == Self.totalCounterFileName {
                    totalCounters[field] = target
                } else {
                    rulePaths[field] = target
                }
            }
        }
    }

    /// `hll_redis_legacy_events.yml`: a list of event names.
    private mutating func loadUniqueEvents(_ node: Node, file: String, diagnostics: inout [DefinitionDiagnostic]) {
        guard case .sequence(let names) = node else {
            diagnostics.append(
                .init(
                    severity: .error, file: file, line: node.line, field: "file",
                    message: "expected a list of legacy event names, found \(node.summary)"))
            return
        }
        for (index, name) in names.enumerated() {
            guard let text = name.stringValue, DefinitionChecks.action(text) == nil else {
                diagnostics.append(
                    .init(
                        severity: .error, file: file, line: name.line, field: "[\(index)]",
                        message: "expected an event name (lower case letters, digits, _), found \(name.summary)"))
                continue
            }
            uniqueEvents.insert(text)
        }
    }
}
