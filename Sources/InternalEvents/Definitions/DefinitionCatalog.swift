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

    private let rulesByEvent: [String: [EventSelectionRule]]

    init(
        events: [String: EventDefinition], legacyEvents: [EventDefinition], metrics: [MetricDefinition],
        metricFiles: [DefinitionFile] = [], legacyAliases: LegacyKeyAliases, warnings: [DefinitionDiagnostic]
    ) {
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
        rulesByEvent = rules
    }

    /// The selection rules an event feeds: its two implicit totals, then every metric rule naming it, de-duplicated.
    /// Empty for an unknown event.
    public func rules(forEvent action: String) -> [EventSelectionRule] {
        rulesByEvent[action] ?? []
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
public struct DefinitionFile: Sendable, Hashable {
    /// Relative to the working directory when below it, else absolute.
    public var path: String
    public var url: URL
}
