import Foundation

/// Loads definition folders (each with `events/` and/or `metrics/`, any depth below) into a `DefinitionCatalog`.
///
/// Every file is read and checked, every problem recorded, and only then does loading fail, with all of them.
public struct DefinitionLoader: Sendable {
    /// How strict to be, and what the app adds to GitLab's rules.
    public struct Options: Sendable, Hashable {
        /// Unknown fields are errors instead of warnings.
        public var strict: Bool
        /// The allowed `product_group` values; `nil` accepts any string (GitLab's list belongs to GitLab).
        public var productGroups: Set<String>?
        /// The allowed `product_categories` values; `nil` accepts any string.
        public var productCategories: Set<String>?
        /// Also read GitLab's legacy key override files from here (see `LegacyKeyAliases`); the definition folders
        /// (and, for GitLab's `config/`, `../lib/gitlab/usage_data_counters/`) are always looked at.
        public var legacyAliasesDirectory: URL?
        /// Whether an internal-events metric may name an event no folder defines (a warning instead of an error).
        ///
        /// Off by default. GitLab's own `config/` folder (recognised by its `metrics/schema/base.json`) always
        /// allows it: its EE events live in `ee/config/` and its legacy ones in `hll_redis_legacy_events.yml`.
        public var allowsUndefinedEvents: Bool

        public init(
            strict: Bool = false, productGroups: Set<String>? = nil, productCategories: Set<String>? = nil,
            legacyAliasesDirectory: URL? = nil, allowsUndefinedEvents: Bool = false
        ) {
            self.strict = strict
            self.productGroups = productGroups
            self.productCategories = productCategories
            self.legacyAliasesDirectory = legacyAliasesDirectory
            self.allowsUndefinedEvents = allowsUndefinedEvents
        }
    }

    public var options: Options

    public init(options: Options = .init()) {
        self.options = options
    }

    /// Loads and validates every definition under the folders.
    /// - Throws: `DefinitionLoadError` with every error and warning, when any error was found.
    public func load(from directories: [URL]) throws(DefinitionLoadError) -> DefinitionCatalog {
        try load(DefinitionSources(directories: directories, options: options))
    }

    /// Loads through `cache`: the stored catalog when nothing it depends on changed (`summary.fromCache`), else a
    /// fresh load, stored for next time when it has no error. See `DefinitionCache` for what a change is.
    /// - Throws: `DefinitionLoadError`, as `load(from:)`; errors are never cached.
    public func load(from directories: [URL], cache: DefinitionCache?) throws(DefinitionLoadError) -> DefinitionCatalog
    {
        let sources = DefinitionSources(directories: directories, options: options)
        guard let cache, sources.diagnostics.isEmpty, let key = DefinitionCache.key(of: sources, options: options)
        else {
            return try load(sources)
        }
        if let cached = cache.catalog(key: key) { return cached }
        let catalog = try load(sources)
        cache.store(catalog, key: key)
        return catalog
    }

    /// The event and metric files a load of `directories` parses (not those in `removed/` folders), in load order.
    public func definitionFiles(in directories: [URL]) -> [URL] {
        let sources = DefinitionSources(directories: directories, options: options)
        return (sources.eventFiles + sources.metricFiles).map(\.url)
    }

    /// Loads what `sources` found.
    func load(_ sources: DefinitionSources) throws(DefinitionLoadError) -> DefinitionCatalog {
        var diagnostics = sources.diagnostics
        var aliases = LegacyKeyAliases()
        for directory in sources.aliasDirectories { aliases.load(from: directory, diagnostics: &diagnostics) }
        let allowsUndefinedEvents = options.allowsUndefinedEvents || sources.includesGitLabConfig
        let skippedRemovedFiles = sources.skippedRemovedFiles.count

        let eventParser = EventDefinitionParser(options: options)
        var internalEvents: [String: EventDefinition] = [:]
        var legacyEvents: [EventDefinition] = []
        for file in sources.eventFiles {
            let display = file.path
            guard let node = DefinitionFileReader.read(file.url, displayPath: display, diagnostics: &diagnostics),
                let event = eventParser.parse(node, file: display, diagnostics: &diagnostics)
            else { continue }
            guard event.isInternalEvent else {
                legacyEvents.append(event)
                continue
            }
            if let existing = internalEvents[event.action] {
                diagnostics.append(
                    .init(
                        severity: .error, file: display, line: event.source.line, field: "action",
                        message:
                            "\"\(event.action)\" is already defined in \(existing.source); event names must be unique"))
                continue
            }
            internalEvents[event.action] = event
        }

        let metricParser = MetricDefinitionParser(options: options)
        var metrics: [MetricDefinition] = []
        var byKeyPath: [String: MetricDefinition] = [:]
        for file in sources.metricFiles {
            let display = file.path
            guard let node = DefinitionFileReader.read(file.url, displayPath: display, diagnostics: &diagnostics) else {
                continue
            }
            for metric in metricParser.parse(node, file: display, diagnostics: &diagnostics) {
                if let existing = byKeyPath[metric.keyPath] {
                    diagnostics.append(
                        .init(
                            severity: .error, file: display, line: metric.source.line, field: "key_path",
                            message:
                                "\"\(metric.keyPath)\" is already used by \(existing.source); key paths must be unique")
                    )
                    continue
                }
                byKeyPath[metric.keyPath] = metric
                metrics.append(metric)
            }
        }
        checkEventReferences(
            metrics: metrics, events: internalEvents, legacyEvents: aliases.uniqueEvents,
            allowsUndefined: allowsUndefinedEvents, diagnostics: &diagnostics)

        let errors = diagnostics.filter { $0.severity == .error }
        guard errors.isEmpty else { throw DefinitionLoadError(diagnostics: diagnostics) }
        return DefinitionCatalog(
            events: internalEvents, legacyEvents: legacyEvents, metrics: metrics,
            metricFiles: sources.metricFiles, legacyAliases: aliases,
            warnings: diagnostics,
            summary: .init(
                eventFiles: sources.eventFiles.count, metricFiles: sources.metricFiles.count,
                skippedRemovedFiles: skippedRemovedFiles))
    }

    /// Events named by internal-events metrics must be defined (or listed as GitLab's legacy unique events); legacy
    /// option events only earn a warning. A filter or unique property the event doesn't declare earns a warning:
    /// only declared properties reach the counters, so such a rule never counts. Removed metrics aren't checked:
    /// the ping doesn't read them, and their events are often gone.
    private func checkEventReferences(
        metrics: [MetricDefinition], events: [String: EventDefinition], legacyEvents: Set<String>,
        allowsUndefined: Bool, diagnostics: inout [DefinitionDiagnostic]
    ) {
        var warned: Set<String> = []
        for metric in metrics where metric.status != .removed {
            for (index, rule) in metric.events.enumerated() {
                // An expanded metric is checked once per file.
                guard warned.insert("\(metric.source.file)#\(index)").inserted else { continue }
                guard let event = events[rule.name] else {
                    if legacyEvents.contains(rule.name) { continue }
                    let isInternal = metric.dataSource == .internalEvents
                    diagnostics.append(
                        .init(
                            severity: isInternal && !allowsUndefined ? .error : .warning, file: metric.source.file,
                            line: metric.source.line, field: "events[\(index)].name",
                            message:
                                "event \"\(rule.name)\" is not defined; add an event file for it with internal_events: true"
                        ))
                    continue
                }
                let unique = rule.unique?.propertyName.map { [("unique", $0)] } ?? []
                let filtered = rule.filter.keys.sorted().map { ("filter.\($0)", $0) }
                for (field, property) in unique + filtered where !event.declares(property) {
                    diagnostics.append(
                        .init(
                            severity: .warning, file: metric.source.file, line: metric.source.line,
                            field: "events[\(index)].\(field)",
                            message:
                                "event \"\(rule.name)\" doesn't declare the additional property \"\(property)\" (\(event.source.file)), so this rule never counts"
                        ))
                }
            }
            for name in metric.optionEvents where events[name] == nil && !legacyEvents.contains(name) {
                guard warned.insert("\(metric.source.file)#\(name)").inserted else { continue }
                diagnostics.append(
                    .init(
                        severity: .warning, file: metric.source.file, line: metric.source.line, field: "options.events",
                        message:
                            "legacy event \"\(name)\" is neither defined nor listed in \(LegacyKeyAliases.uniqueEventsFileName)"
                    ))
            }
        }
    }

    /// The path relative to the working directory when it lies below it, else absolute.
    static func displayPath(_ url: URL) -> String {
        displayPath(standardized: url.standardizedFileURL.path)
    }

    /// `displayPath(_:)` of an already standardized absolute path, without building a URL.
    static func displayPath(standardized path: String) -> String {
        let current = FileManager.default.currentDirectoryPath + "/"
        return path.hasPrefix(current) ? String(path.dropFirst(current.count)) : path
    }
}

/// Loading definitions failed: every error found, and the warnings beside them.
public struct DefinitionLoadError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [DefinitionDiagnostic]

    public init(diagnostics: [DefinitionDiagnostic]) {
        self.diagnostics = diagnostics
    }

    public var errors: [DefinitionDiagnostic] { diagnostics.filter { $0.severity == .error } }

    public var description: String {
        diagnostics.map(\.description).joined(separator: "\n") + "\n\(errors.count) error(s) in definitions"
    }
}
