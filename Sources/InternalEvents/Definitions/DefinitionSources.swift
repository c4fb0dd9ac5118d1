import Foundation

/// The files a load reads, found before any is parsed: event and metric files, the folders that may hold GitLab's
/// legacy key files, and what was skipped. Finding them costs a directory walk; the cache keys on them.
struct DefinitionSources {
    var eventFiles: [DefinitionFile] = []
    var metricFiles: [DefinitionFile] = []
    /// Folders to read `LegacyKeyAliases`' files from, in order.
    var aliasDirectories: [URL] = []
    /// Files under `removed/` folders (GitLab doesn't load them).
    var skippedRemovedFiles: [URL] = []
    /// A GitLab `config/` folder is among them: metrics may name events defined elsewhere.
    var includesGitLabConfig = false
    /// Missing or empty folders.
    var diagnostics: [DefinitionDiagnostic] = []

    init(directories: [URL], options: DefinitionLoader.Options) {
        if directories.isEmpty {
            diagnostics.append(
                .init(
                    severity: .error, file: "(none)", line: 0, field: "folders", message: "no definition folder given"))
        }
        for directory in directories {
            guard Self.isFolder(directory) else {
                diagnostics.append(
                    .init(
                        severity: .error, file: directory.path, line: 0, field: "folder",
                        message: "does not exist or is not a folder"))
                continue
            }
            let events = Self.yamlPaths(under: directory.appendingPathComponent("events"))
            let metrics = Self.yamlPaths(under: directory.appendingPathComponent("metrics"))
            if events == nil && metrics == nil {
                diagnostics.append(
                    .init(
                        severity: .error, file: directory.path, line: 0, field: "folder",
                        message: "has neither an events/ nor a metrics/ folder"))
            }
            let isGitLabConfig = Self.isGitLabConfig(directory)
            includesGitLabConfig = includesGitLabConfig || isGitLabConfig
            eventFiles += (events?.files ?? []).map(Self.file)
            metricFiles += (metrics?.files ?? []).map(Self.file)
            skippedRemovedFiles += ((events?.skipped ?? []) + (metrics?.skipped ?? [])).map { URL(fileURLWithPath: $0) }
            aliasDirectories += LegacyKeyAliases.candidateDirectories(for: directory, isGitLabConfig: isGitLabConfig)
        }
        if let extra = options.legacyAliasesDirectory {
            if Self.isFolder(extra) {
                aliasDirectories.append(extra)
            } else {
                diagnostics.append(
                    .init(
                        severity: .error, file: extra.path, line: 0, field: "legacy aliases",
                        message: "does not exist or is not a folder"))
            }
        }
    }

    /// The legacy key files that exist in the alias folders.
    var aliasFiles: [URL] {
        aliasDirectories.flatMap { directory in
            LegacyKeyAliases.fileNames.map { directory.appendingPathComponent($0) }
                .filter { FileManager.default.fileExists(atPath: $0.path) }
        }
    }

    static func isFolder(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// The folder name GitLab keeps removed definitions in.
    static let removedFolderName = "removed"

    /// GitLab's own `config/` folder, recognised by its metric schema (`metrics/schema/base.json`).
    static func isGitLabConfig(_ directory: URL) -> Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent("metrics/schema/base.json").path)
    }

    /// The standardized absolute paths of `.yml`/`.yaml` files below `folder`, sorted, and those skipped in `removed/` folders (GitLab moves the
    /// definitions of removed events and metrics there and doesn't load them); `nil` if the folder doesn't exist.
    /// Walks the tree by path (Foundation's URL resource values cost more than the parse on a large tree).
    static func yamlPaths(under folder: URL) -> (files: [String], skipped: [String])? {
        guard isFolder(folder) else { return nil }
        var files: [String] = []
        var skipped: [String] = []
        walk(folder.standardizedFileURL.path, files: &files, skipped: &skipped, isRemoved: false)
        return (files.sorted(), skipped.sorted())
    }

    /// A definition file from its standardized absolute path.
    static func file(_ path: String) -> DefinitionFile {
        DefinitionFile(path: DefinitionLoader.displayPath(standardized: path), url: URL(fileURLWithPath: path))
    }

    private static func walk(_ folder: String, files: inout [String], skipped: inout [String], isRemoved: Bool) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names {
            let path = folder.hasSuffix("/") ? folder + name : folder + "/" + name
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                walk(path, files: &files, skipped: &skipped, isRemoved: isRemoved || name == removedFolderName)
            } else if name.hasSuffix(".yml") || name.hasSuffix(".yaml") {
                if isRemoved { skipped.append(path) } else { files.append(path) }
            }
        }
    }
}
