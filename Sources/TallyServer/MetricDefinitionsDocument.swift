import Foundation
import InternalEvents
import Yams

/// The metrics dictionary as `GET metric_definitions` serves it: a YAML list of every metric file's attributes,
/// as written, optionally with each file's path (GitLab's `dump_metrics_yaml(include_paths:)`). Each document
/// starts with the `---` line Ruby's `to_yaml` writes, as GitLab's does.
///
/// Built once at start: definitions don't change while the server runs.
public struct MetricDefinitionsDocument: Sendable {
    public let yaml: String
    public let yamlWithPaths: String

    /// Reads the catalog's metric files again and composes the two documents.
    /// - Throws: `DefinitionLoadError` naming a file that can no longer be read.
    public init(catalog: DefinitionCatalog) throws {
        var plain: [Node] = []
        var withPaths: [Node] = []
        for file in catalog.metricFiles {
            let node: Node?
            do {
                node = try Yams.compose(yaml: try String(contentsOf: file.url, encoding: .utf8))
            } catch {
                throw DefinitionLoadError(diagnostics: [
                    DefinitionDiagnostic(
                        severity: .error, file: file.path, line: 1, field: "",
                        message: "can't be read for metric_definitions: \(error)")
                ])
            }
            guard case .mapping(var mapping)? = node else { continue }
            plain.append(.mapping(mapping))
            mapping["file_path"] = Node(file.path)
            withPaths.append(.mapping(mapping))
        }
        yaml = try Yams.serialize(node: .sequence(.init(plain)), explicitStart: true)
        yamlWithPaths = try Yams.serialize(node: .sequence(.init(withPaths)), explicitStart: true)
    }
}
