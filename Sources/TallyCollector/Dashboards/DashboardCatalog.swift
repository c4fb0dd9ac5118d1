import Foundation

/// The dashboards `tally collect` shows: the built-in ones, then those of a GitLab-format folder
/// (`--dashboards DIR`: `DIR/<name>/<name>.yaml`, with shared visualizations in `DIR/visualizations/*.yaml`, each
/// known by its file name without `.yaml`). A folder's dashboard replaces a built-in one of the same name.
///
/// Loading checks every file and reports every problem at once, each naming its file, line and field.
public struct DashboardCatalog: Sendable {
    let dashboards: [DashboardDefinition]

    /// Only the built-in dashboards.
    public static let builtIn: DashboardCatalog = {
        do {
            return try DashboardCatalog(folder: nil)
        } catch {
            preconditionFailure("a built-in dashboard does not load: \(error)")
        }
    }()

    /// The slugs, in menu order.
    public var names: [String] { dashboards.map(\.slug) }

    func dashboard(_ slug: String) -> DashboardDefinition? { dashboards.first { $0.slug == slug } }

    /// The built-in dashboards and those of `folder` (a `.gitlab/analytics/dashboards` folder, or a repository
    /// holding one).
    /// - Throws: `DashboardLoadError` with every problem of every file.
    public init(folder: URL?) throws(DashboardLoadError) {
        var issues: [DashboardIssue] = []
        var builtIn: [DashboardDefinition] = []
        for (slug, text) in BuiltInDashboards.files {
            let check = YAMLChecker(file: "built-in \(slug).yaml")
            do {
                let tree = try YAMLTree.parse(text, file: check.file)
                if let dashboard = DashboardDefinition.parse(
                    tree, slug: slug, file: check.file, visualizations: [:], check)
                {
                    builtIn.append(dashboard)
                }
            } catch {
                issues += error.issues
            }
            issues += check.issues
        }
        var own: [DashboardDefinition] = []
        if let folder {
            own = Self.load(folder: folder, issues: &issues)
        }
        guard issues.isEmpty else { throw DashboardLoadError(issues: issues) }
        let replaced = Set(own.map(\.slug))
        dashboards = builtIn.filter { !replaced.contains($0.slug) } + own
    }

    private static func load(folder: URL, issues: inout [DashboardIssue]) -> [DashboardDefinition] {
        let manager = FileManager.default
        var root = folder
        let nested = folder.appendingPathComponent(".gitlab/analytics/dashboards")
        if manager.fileExists(atPath: nested.path) { root = nested }
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: root.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            issues.append(DashboardIssue(file: folder.path, line: 0, field: "file", message: "no such folder"))
            return []
        }
        var visualizations: [String: VisualizationDefinition] = [:]
        let visualizationFolder = root.appendingPathComponent("visualizations")
        for name in ((try? manager.contentsOfDirectory(atPath: visualizationFolder.path)) ?? []).sorted()
        where name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
            let path = visualizationFolder.appendingPathComponent(name).path
            let check = YAMLChecker(file: path)
            guard let tree = read(path, check) else {
                issues += check.issues
                continue
            }
            if let visualization = VisualizationDefinition.parse(tree, "", check) {
                visualizations[String(name.prefix(upTo: name.lastIndex(of: ".")!))] = visualization
            }
            issues += check.issues
        }
        var dashboards: [DashboardDefinition] = []
        for name in ((try? manager.contentsOfDirectory(atPath: root.path)) ?? []).sorted()
        where name != "visualizations" && !name.hasPrefix(".") {
            let directory = root.appendingPathComponent(name)
            guard manager.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
                continue
            }
            let candidates = ["\(name).yaml", "\(name).yml"].map { directory.appendingPathComponent($0).path }
            guard let path = candidates.first(where: { manager.fileExists(atPath: $0) }) else {
                issues.append(
                    DashboardIssue(
                        file: directory.path, line: 0, field: "file",
                        message: "a dashboard folder holds a file named like it: \(name)/\(name).yaml"))
                continue
            }
            let check = YAMLChecker(file: path)
            if let tree = read(path, check),
                let dashboard = DashboardDefinition.parse(
                    tree, slug: name, file: path, visualizations: visualizations, check)
            {
                dashboards.append(dashboard)
            }
            issues += check.issues
        }
        return dashboards
    }

    /// The file as a YAML tree; nil (with an issue) when it can't be read or parsed.
    private static func read(_ path: String, _ check: YAMLChecker) -> YAMLTree? {
        guard let data = FileManager.default.contents(atPath: path), data.count <= 1 << 20 else {
            check.fail(YAMLTree(value: .null, line: 0), "", "can't be read (or is over 1 MiB)")
            return nil
        }
        guard let text = String(data: data, encoding: .utf8) else {
            check.fail(YAMLTree(value: .null, line: 0), "", "is not UTF-8")
            return nil
        }
        do {
            return try YAMLTree.parse(text, file: path)
        } catch {
            for issue in error.issues { check.fail(YAMLTree(value: .null, line: issue.line), "", issue.message) }
            return nil
        }
    }
}
