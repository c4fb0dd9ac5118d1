import Foundation

/// Every event and metric definition of an app, validated, with the selection rules each event feeds.
///
/// Immutable and `Sendable`: load it once at start and share it.
public struct DefinitionCatalog: Sendable {
    /// Internal events (`internal_events: true`) by `action`: the events `track` accepts.
    public let events: [String: EventDefinition]
    /// Legacy Snowplow event definitions (a `category`, no `internal_events`), kept for listing.
    public let legacyEvents: [EventDefinition]
    /// All metrics after `time_frame` expansion, sorted by key path.
    public let metrics: [MetricDefinition]
    /// The metric files the metrics were read from, in load order.
    public let metricFiles: [DefinitionFile]
    /// GitLab-era key names, when loaded.
    public let legacyAliases: LegacyKeyAliases
    /// Warnings found while loading (errors stop the load).
    public let warnings: [DefinitionDiagnostic]
    /// What the load read and skipped.
    public let summary: LoadSummary

    /// How many files a load read, and how many it skipped on purpose.
    public struct LoadSummary: Sendable, Hashable, Codable {
        public var eventFiles: Int
        public var metricFiles: Int
        /// Files under `removed/` folders, which GitLab doesn't load either.
        public var skippedRemovedFiles: Int
        /// Whether the catalog came from a `DefinitionCache` instead of being parsed.
        public var fromCache: Bool

        public init(eventFiles: Int = 0, metricFiles: Int = 0, skippedRemovedFiles: Int = 0, fromCache: Bool = false) {
            self.eventFiles = eventFiles
            self.metricFiles = metricFiles
            self.skippedRemovedFiles = skippedRemovedFiles
            self.fromCache = fromCache
        }
    }

    /// Each event's definition and rules behind one reference: `track` finds both with one hash lookup and
    /// copies no definition.
    private let trackable: [String: TrackableEvent]
    /// Tells this catalog's `TrackableEvent` numbers from another's.
    let identity: CatalogIdentity

    init(
        events: [String: EventDefinition], legacyEvents: [EventDefinition], metrics: [MetricDefinition],
        metricFiles: [DefinitionFile] = [], legacyAliases: LegacyKeyAliases, warnings: [DefinitionDiagnostic],
        summary: LoadSummary = .init()
    ) {
        self.summary = summary
        self.metricFiles = metricFiles
        self.events = events
        self.legacyEvents = legacyEvents
        self.metrics = metrics.sorted { $0.keyPath < $1.keyPath }
        self.legacyAliases = legacyAliases
        self.warnings = warnings
        var rules: [String: [EventSelectionRule]] = [:]
        for action in events.keys { rules[action] = EventSelectionRule.implicitRules(for: action) }
        for metric in metrics where metric.dataSource == .internalEvents {
            for rule in metric.selectionRules where rules[rule.name]?.contains(rule) == false {
                rules[rule.name]?.append(rule)
            }
        }
        var trackable: [String: TrackableEvent] = [:]
        let identity = CatalogIdentity()
        for (number, action) in events.keys.sorted().enumerated() {
            trackable[action] = TrackableEvent(
                definition: events[action]!, rules: rules[action] ?? [], number: number, catalog: identity)
        }
        self.trackable = trackable
        self.identity = identity
    }

    /// The selection rules an event feeds: its two implicit totals, then every metric rule naming it, de-duplicated.
    /// Empty for an unknown event.
    public func rules(forEvent action: String) -> [EventSelectionRule] {
        trackable[action]?.rules ?? []
    }

    /// An internal event's definition and rules, or `nil` for an unknown event.
    func trackableEvent(_ action: String) -> TrackableEvent? {
        trackable[action]
    }

    /// The metric with this (expanded) key path.
    public func metric(keyPath: String) -> MetricDefinition? {
        metrics.first { $0.keyPath == keyPath }
    }

    /// The metrics that read an event.
    public func metrics(readingEvent action: String) -> [MetricDefinition] {
        metrics.filter { metric in
            metric.events.contains { $0.name == action } || metric.optionEvents.contains(action)
        }
    }
}

/// A definition file: the path diagnostics show, and where it is.
public struct DefinitionFile: Sendable, Hashable, Codable {
    /// Relative to the working directory when below it, else absolute.
    public var path: String
    public var url: URL
}

/// An internal event's definition and the selection rules it feeds, shared by reference (immutable).
///
/// `track` reads only what it checks (identifiers, declared properties) through it, never copying the whole
/// definition value.
final class TrackableEvent: Sendable {
    let definition: EventDefinition
    let rules: [EventSelectionRule]
    /// `definition.identifiers`.
    let identifiers: [EventIdentifier]
    /// The event's place in its catalog's sorted actions: planners built from that catalog index by it.
    let number: Int
    let catalog: CatalogIdentity

    init(definition: EventDefinition, rules: [EventSelectionRule], number: Int, catalog: CatalogIdentity) {
        self.definition = definition
        self.rules = rules
        self.identifiers = definition.identifiers
        self.number = number
        self.catalog = catalog
    }

    /// Whether the event declares this additional property, read in place (no copy of the definition).
    func declares(_ name: String) -> Bool {
        definition.declares(name)
    }
}

/// One catalog's identity, compared with `===` (copies of a catalog share it).
final class CatalogIdentity: Sendable {}
