import InternalEvents

extension TallyRecorder {
    /// What `expectEvents` reports, as sentences: each expected event not tracked as often as expected, each
    /// expected event no definition declares, events the tracker rejected, and (with `exclusively`) each other
    /// event tracked. Empty when everything matched. For tests written without Swift Testing too.
    public func eventMismatches(
        _ expected: [ExpectedEvent], exclusively: Bool = false, tracked: [TrackedEvent], rejected: Int = 0
    ) -> [String] {
        var mismatches: [String] = []
        for event in expected where catalog.events[event.name] == nil {
            mismatches.append("expected event \(event.name) is not defined in any events/*.yml")
        }
        if rejected > 0 {
            mismatches.append(
                "\(rejected) event\(rejected == 1 ? " was" : "s were") rejected by the tracker (see the log for why)")
        }
        for event in expected {
            let count = tracked.filter(event.matches).count
            let satisfied = event.times.map { count == $0 } ?? (count > 0)
            if !satisfied {
                let wanted = event.times.map { "exactly \(Self.times($0))" } ?? "at least once"
                mismatches.append(
                    "expected \(event) to be tracked \(wanted), it was tracked \(Self.times(count)); tracked: \(Self.summary(tracked))"
                )
            }
        }
        if exclusively {
            for event in tracked where !expected.contains(where: { $0.matches(event) }) {
                mismatches.append("unexpected event tracked: \(Self.describe(event))")
            }
        }
        return mismatches
    }

    /// What `expectMetrics` reports: each key path that is no internal-events metric, and each metric whose value
    /// computed from `tracked` is not the given change (or, for `nil`, is zero).
    public func metricMismatches(_ changes: [String: Double?], tracked: [TrackedEvent]) -> [String] {
        let values = metricValues(from: tracked)
        var mismatches: [String] = []
        for (keyPath, change) in changes.sorted(by: { $0.key < $1.key }) {
            guard let moved = values[keyPath] else {
                mismatches.append("no internal-events metric has key_path \(keyPath)")
                continue
            }
            if let change, moved != change {
                mismatches.append("expected \(keyPath) to move by \(change), it moved by \(moved)")
            } else if change == nil && moved == 0 {
                mismatches.append("expected \(keyPath) to move, it did not")
            }
        }
        return mismatches
    }

    private static func times(_ count: Int) -> String { "\(count) time\(count == 1 ? "" : "s")" }

    private static func describe(_ event: TrackedEvent) -> String {
        ExpectedEvent(
            event.name, user: event.user, project: event.project, namespace: event.namespace,
            additionalProperties: event.properties
        ).description
    }

    private static func summary(_ events: [TrackedEvent]) -> String {
        events.isEmpty ? "none" : events.map(describe).joined(separator: "; ")
    }
}
