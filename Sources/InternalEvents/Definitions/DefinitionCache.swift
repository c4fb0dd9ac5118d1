import Foundation

/// A cache of validated catalogs on disk, so that a program that loads thousands of definition files (GitLab's
/// tree: 3,500) pays for parsing them once, not at every start.
///
/// An entry is keyed by everything a load depends on: the bytes and paths of every file it reads (definitions,
/// GitLab's legacy key files, the `removed/` files it skips), the loader's options, the working directory (paths in
/// diagnostics are relative to it) and the running executable (a rebuilt Tally may check differently). Any change
/// is a miss: the files are parsed again and the entry replaced. Only loads without errors are cached, so errors are
/// always reported fresh. A missing, unreadable or corrupt entry is a miss; a cache folder that can't be written
/// costs nothing but the parse.
///
/// **Thread safety:** `Sendable`; concurrent loads may write the same entry (each writes a whole file and renames it
/// into place).
public struct DefinitionCache: Sendable {
    /// Entries beyond this many (oldest first) are deleted when a new one is written.
    public static let maximumEntries = 8

    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    /// The cache for the current user: `TALLY_CACHE_DIR`, else `$XDG_CACHE_HOME/tally`, else `~/.cache/tally`;
    /// `nil` when `TALLY_DEFINITIONS_CACHE` is `off`.
    public static func standard(
        environment: [String: String] = ProcessInfo.processInfo.environment
    )
        -> DefinitionCache?
    {
        if environment["TALLY_DEFINITIONS_CACHE"] == "off" { return nil }
        if let configured = environment["TALLY_CACHE_DIR"], !configured.isEmpty {
            return DefinitionCache(directory: URL(fileURLWithPath: configured))
        }
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            return DefinitionCache(directory: URL(fileURLWithPath: xdg).appendingPathComponent("tally"))
        }
        let home =
            environment["HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser
        return DefinitionCache(directory: home.appendingPathComponent(".cache/tally"))
    }

    /// The entry's file for a key.
    func entryURL(key: UInt64) -> URL {
        directory.appendingPathComponent("definitions-\(String(key, radix: 16)).json")
    }

    /// The cached catalog for `key`, or `nil`.
    func catalog(key: UInt64) -> DefinitionCatalog? {
        guard let data = try? Data(contentsOf: entryURL(key: key)) else { return nil }
        let decoder = JSONDecoder()
        decoder.userInfo[.orderedJSONObjects] = true
        guard let entry = try? decoder.decode(CachedCatalog.self, from: data), entry.key == key else { return nil }
        return entry.catalog
    }

    /// Stores `catalog` under `key`, replacing what was there; failures are ignored (the cache is an optimisation).
    func store(_ catalog: DefinitionCatalog, key: UInt64) {
        let encoder = JSONEncoder()
        encoder.userInfo[.orderedJSONObjects] = true
        guard let data = try? encoder.encode(CachedCatalog(catalog, key: key)) else { return }
        let file = entryURL(key: key)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try data.write(to: file, options: .atomic)
        } catch {
            return
        }
        pruneOldEntries(keeping: file)
    }

    private func pruneOldEntries(keeping kept: URL) {
        let keys: Set<URLResourceKey> = [.contentModificationDateKey]
        guard
            let entries = try? FileManager.default.contentsOfDirectory(
                at: directory, includingPropertiesForKeys: Array(keys))
        else { return }
        let dated = entries.filter { $0.lastPathComponent.hasPrefix("definitions-") && $0.pathExtension == "json" }
            .map { ($0, (try? $0.resourceValues(forKeys: keys).contentModificationDate) ?? .distantPast) }
            .sorted { $0.1 > $1.1 }
        for (url, _) in dated.dropFirst(Self.maximumEntries) where url.lastPathComponent != kept.lastPathComponent {
            try? FileManager.default.removeItem(at: url)
        }
    }

    /// The key of a load: a 64-bit FNV-1a hash over its inputs, each length-prefixed so no two inputs run together.
    static func key(of sources: DefinitionSources, options: DefinitionLoader.Options) -> UInt64? {
        var hash = StableHash()
        hash.add("tally definitions cache 1")
        hash.add(executableIdentity)
        hash.add(FileManager.default.currentDirectoryPath)
        hash.add("\(options.strict) \(options.allowsUndefinedEvents) \(options.legacyAliasesDirectory?.path ?? "-")")
        hash.add(options.productGroups.map { $0.sorted().joined(separator: ",") } ?? "-")
        hash.add(options.productCategories.map { $0.sorted().joined(separator: ",") } ?? "-")
        hash.add("\(sources.includesGitLabConfig) \(sources.diagnostics.count)")
        for url in sources.skippedRemovedFiles { hash.add(url.path) }
        for file in sources.eventFiles + sources.metricFiles {
            guard let data = try? Data(contentsOf: file.url) else { return nil }
            hash.add(file.path)
            hash.add(data)
        }
        for url in sources.aliasFiles {
            guard let data = try? Data(contentsOf: url) else { return nil }
            hash.add(url.path)
            hash.add(data)
        }
        return hash.value
    }

    /// The running program's path, size and modification time: a rebuilt binary never reads an older one's entry.
    static let executableIdentity: String = {
        let path =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? Bundle.main.executablePath ?? CommandLine.arguments.first ?? "?"
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let size = (attributes?[.size] as? NSNumber)?.int64Value ?? -1
        let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? -1
        return "\(path) \(size) \(modified)"
    }()
}

/// 64-bit FNV-1a, the same in every process (unlike `Hasher`, which is seeded per process).
struct StableHash {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ text: String) {
        add(Data(text.utf8))
    }

    mutating func add(_ data: Data) {
        addLength(data.count)
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var hash = value
            for byte in bytes {
                hash ^= UInt64(byte)
                hash &*= 0x0000_0100_0000_01b3
            }
            value = hash
        }
    }

    private mutating func addLength(_ count: Int) {
        var hash = value
        for shift in stride(from: 0, to: 64, by: 8) {
            hash ^= UInt64(truncatingIfNeeded: count >> shift) & 0xff
            hash &*= 0x0000_0100_0000_01b3
        }
        value = hash
    }
}

/// What the cache stores: the catalog's loaded parts (its rules are rebuilt from them) and the key, checked on read.
private struct CachedCatalog: Codable {
    var key: UInt64
    var events: [EventDefinition]
    var legacyEvents: [EventDefinition]
    var metrics: [MetricDefinition]
    var metricFiles: [DefinitionFile]
    var legacyAliases: LegacyKeyAliases
    var warnings: [DefinitionDiagnostic]
    var summary: DefinitionCatalog.LoadSummary

    init(_ catalog: DefinitionCatalog, key: UInt64) {
        self.key = key
        events = catalog.events.values.sorted { $0.action < $1.action }
        legacyEvents = catalog.legacyEvents
        metrics = catalog.metrics
        metricFiles = catalog.metricFiles
        legacyAliases = catalog.legacyAliases
        warnings = catalog.warnings
        summary = catalog.summary
    }

    var catalog: DefinitionCatalog {
        var loaded = summary
        loaded.fromCache = true
        return DefinitionCatalog(
            events: Dictionary(uniqueKeysWithValues: events.map { ($0.action, $0) }), legacyEvents: legacyEvents,
            metrics: metrics, metricFiles: metricFiles, legacyAliases: legacyAliases, warnings: warnings,
            summary: loaded)
    }
}
