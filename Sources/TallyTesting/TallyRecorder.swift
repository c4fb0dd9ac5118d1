import Foundation
import InternalEvents

/// A tracker for an app's own tests: it validates events exactly as in production, and records them instead of
/// counting them in Redis. Pass `recorder.tracker` where the app takes its `Tracker`.
///
/// `expectEvents(_:by:_:)` and `expectMetrics(_:by:_:)` assert what a block of app code tracked, in the manner of
/// GitLab's RSpec matchers `trigger_internal_events` and `increment_usage_metrics`. No Redis is needed.
///
/// **Thread safety:** `Sendable`; events may be tracked from any task while the recorder is read.
public struct TallyRecorder: Sendable {
    public let catalog: DefinitionCatalog
    /// The sink every accepted event reaches.
    public let sink: RecordingEventSink
    /// Hand this to the code under test.
    public let tracker: Tracker

    /// - Parameter clock: the time events are stamped with (a `FixedWallClock` to pin it).
    public init(catalog: DefinitionCatalog, clock: any WallClock = SystemWallClock()) {
        self.catalog = catalog
        sink = RecordingEventSink()
        tracker = Tracker(catalog: catalog, sinks: [sink], clock: clock)
    }

    /// Loads the app's definition folders (the same ones its `TallyConfiguration` names).
    /// - Throws: `DefinitionLoadError` naming every file at fault.
    public init(definitions: [String], clock: any WallClock = SystemWallClock()) throws {
        let catalog = try DefinitionLoader().load(from: definitions.map { URL(fileURLWithPath: $0) })
        self.init(catalog: catalog, clock: clock)
    }

    /// Every event accepted so far, in order. Rejected events (unknown, wrong identifiers or properties) never
    /// appear: see `tracker.statistics.rejected`.
    public var events: [TrackedEvent] { sink.events }

    /// The value each internal-events metric would gain from `events`: totals count matching events, uniques
    /// count distinct members over all the metric's rules, sums add `value`, unique totals count the matching
    /// events that carry the unique property (the sum of the metric's per-value counts). Time frames are not applied: every
    /// event given counts for 7d, 28d and all-time metrics alike.
    public func metricValues(from events: [TrackedEvent]) -> [String: Double] {
        var values: [String: Double] = [:]
        for metric in catalog.metrics where metric.dataSource == .internalEvents {
            values[metric.keyPath] = Self.value(of: metric.selectionRules, from: events)
        }
        return values
    }

    static func value(of rules: [EventSelectionRule], from events: [TrackedEvent]) -> Double {
        var total = 0.0
        var members: Set<String> = []
        var unique = false
        for rule in rules {
            for event in events where event.name == rule.name && rule.matches(event.properties) {
                switch rule.kind {
                case .total: total += 1
                case .sum: total += event.sumAmount ?? 0
                case .unique:
                    unique = true
                    if let identifier = rule.unique, let member = event.uniqueMember(identifier) {
                        members.insert(member)
                    }
                case .uniqueTotal:
                    if let identifier = rule.unique, event.uniqueMember(identifier) != nil { total += 1 }
                }
            }
        }
        return unique ? Double(members.count) : total
    }
}
