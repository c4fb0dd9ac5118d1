import InternalEvents
import Testing

/// Runs `body` and records a Swift Testing issue for each expected event it did not track (as often as expected),
/// and, with `exclusively`, for each other event it tracked: GitLab's `trigger_internal_events`.
///
/// An expected event that no definition declares is an issue too, as are events the tracker rejected during the
/// block (an unknown event, a wrong identifier or property: the app would lose them in production).
///
/// ```swift
/// try await expectEvents([.event("create_note", user: 42, project: 7)], by: recorder) {
///     try await app.createNote(author: 42, project: 7)
/// }
/// ```
@discardableResult
public func expectEvents<Result>(
    _ expected: [ExpectedEvent], exclusively: Bool = false, by recorder: TallyRecorder,
    sourceLocation: Testing.SourceLocation = #_sourceLocation, _ body: () async throws -> Result
) async rethrows -> Result {
    for event in expected where recorder.catalog.events[event.name] == nil {
        Issue.record("expected event \(event.name) is not defined in any events/*.yml", sourceLocation: sourceLocation)
    }
    let (result, tracked, rejected) = try await recorded(by: recorder, body)
    if rejected > 0 {
        Issue.record(
            "\(rejected) event\(rejected == 1 ? " was" : "s were") rejected by the tracker (see the log for why)",
            sourceLocation: sourceLocation)
    }
    for event in expected {
        let count = tracked.filter(event.matches).count
        let satisfied = event.times.map { count == $0 } ?? (count > 0)
        if !satisfied {
            let wanted = event.times.map { "exactly \($0) time\($0 == 1 ? "" : "s")" } ?? "at least once"
            Issue.record(
                "expected \(event) to be tracked \(wanted), it was tracked \(count) time\(count == 1 ? "" : "s"); tracked: \(summary(tracked))",
                sourceLocation: sourceLocation)
        }
    }
    if exclusively {
        for event in tracked where !expected.contains(where: { $0.matches(event) }) {
            Issue.record("unexpected event tracked: \(describe(event))", sourceLocation: sourceLocation)
        }
    }
    return result
}

/// Runs `body` and records an issue for every event it tracked (GitLab's `not_to trigger_internal_events`).
@discardableResult
public func expectNoEvents<Result>(
    by recorder: TallyRecorder, sourceLocation: Testing.SourceLocation = #_sourceLocation,
    _ body: () async throws -> Result
) async rethrows -> Result {
    try await expectEvents([], exclusively: true, by: recorder, sourceLocation: sourceLocation, body)
}

/// Runs `body` and records an issue for each metric whose value, computed from the events the block tracked,
/// did not move by the given amount (or, for `nil`, did not move at all): GitLab's `increment_usage_metrics`.
///
/// Keys are metric key paths as the payload has them (`counts.count_total_create_note_monthly`). Time frames are
/// not applied: the block's events count for 7d, 28d and all-time metrics alike.
@discardableResult
public func expectMetrics<Result>(
    _ changes: [String: Double?], by recorder: TallyRecorder,
    sourceLocation: Testing.SourceLocation = #_sourceLocation, _ body: () async throws -> Result
) async rethrows -> Result {
    let (result, tracked, _) = try await recorded(by: recorder, body)
    let values = recorder.metricValues(from: tracked)
    for (keyPath, change) in changes.sorted(by: { $0.key < $1.key }) {
        guard let moved = values[keyPath] else {
            Issue.record("no internal-events metric has key_path \(keyPath)", sourceLocation: sourceLocation)
            continue
        }
        if let change, moved != change {
            Issue.record(
                "expected \(keyPath) to move by \(change), it moved by \(moved)", sourceLocation: sourceLocation)
        } else if change == nil && moved == 0 {
            Issue.record("expected \(keyPath) to move, it did not", sourceLocation: sourceLocation)
        }
    }
    return result
}

private func recorded<Result>(
    by recorder: TallyRecorder, _ body: () async throws -> Result
) async rethrows -> (Result, [TrackedEvent], rejected: Int) {
    let before = recorder.events.count
    let rejectedBefore = recorder.tracker.statistics.rejected
    let result = try await body()
    return (result, Array(recorder.events.dropFirst(before)), recorder.tracker.statistics.rejected - rejectedBefore)
}

private func describe(_ event: TrackedEvent) -> String {
    ExpectedEvent(
        event.name, user: event.user, project: event.project, namespace: event.namespace,
        additionalProperties: event.properties
    ).description
}

private func summary(_ events: [TrackedEvent]) -> String {
    events.isEmpty ? "none" : events.map(describe).joined(separator: "; ")
}
