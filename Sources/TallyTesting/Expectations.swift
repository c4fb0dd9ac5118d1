import InternalEvents
import Testing

/// Runs `body` and records a Swift Testing issue for each expected event it did not track (as often as expected),
/// and, with `exclusively`, for each other event it tracked: GitLab's `trigger_internal_events`.
///
/// An expected event that no definition declares is an issue too, as are events the tracker rejected during the
/// block (an unknown event, a wrong identifier or property: the app would lose them in production). The issues
/// are `TallyRecorder.eventMismatches(_:exclusively:tracked:rejected:)`.
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
    let (result, tracked, rejected) = try await recorded(by: recorder, body)
    for mismatch in recorder.eventMismatches(expected, exclusively: exclusively, tracked: tracked, rejected: rejected) {
        Issue.record(Comment(rawValue: mismatch), sourceLocation: sourceLocation)
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
/// not applied: the block's events count for 7d, 28d and all-time metrics alike. The issues are
/// `TallyRecorder.metricMismatches(_:tracked:)`.
@discardableResult
public func expectMetrics<Result>(
    _ changes: [String: Double?], by recorder: TallyRecorder,
    sourceLocation: Testing.SourceLocation = #_sourceLocation, _ body: () async throws -> Result
) async rethrows -> Result {
    let (result, tracked, _) = try await recorded(by: recorder, body)
    for mismatch in recorder.metricMismatches(changes, tracked: tracked) {
        Issue.record(Comment(rawValue: mismatch), sourceLocation: sourceLocation)
    }
    return result
}

/// Runs `body`; returns its result, the events accepted meanwhile and how many the tracker rejected.
private func recorded<Result>(
    by recorder: TallyRecorder, _ body: () async throws -> Result
) async rethrows -> (Result, [TrackedEvent], rejected: Int) {
    let before = recorder.events.count
    let rejectedBefore = recorder.tracker.statistics.rejected
    let result = try await body()
    return (result, Array(recorder.events.dropFirst(before)), recorder.tracker.statistics.rejected - rejectedBefore)
}
