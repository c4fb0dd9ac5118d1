import Foundation
import Hiredis
import Logging
import Metrics

/// The app's entry point: `track(_:user:project:namespace:additionalProperties:)`.
///
/// A `Sendable` facade over event sinks (Redis counters, event records, test recorders): it validates each event
/// against the definitions, as GitLab does, and hands the valid ones to every sink. Libraries accept a tracker;
/// the app gets one from `Tally` (or builds one from its parts).
///
/// Two calls, for two situations:
/// - `track` (production): synchronous, never throws, never waits. A bad event is logged and counted
///   (`statistics.rejected`, swift-metrics `tally_tracker_events_total{result="rejected"}`) and the app goes on;
///   a good one is handed to every sink's `enqueue`, which buffers or queues it. Call it from any code, sync or
///   async, on any thread.
/// - `trackStrictly` (tests, development, backfills): throws `TrackingError` for what GitLab raises on in
///   development, and waits until every sink stored the event (direct mode: Redis answered).
public struct Tracker: Sendable {
    public let catalog: DefinitionCatalog
    public let clock: any WallClock
    private let sinks: [any EventSink]
    private let logger: Logger
    private let counts: TrackerCounts

    public init(
        catalog: DefinitionCatalog, sinks: [any EventSink], clock: any WallClock = SystemWallClock(),
        logger: Logger = Logger(label: "tally.tracker")
    ) {
        self.catalog = catalog
        self.sinks = sinks
        self.clock = clock
        self.logger = logger
        self.counts = TrackerCounts()
    }

    /// Tracks one event, as GitLab does in production: never throws, never waits.
    ///
    /// Only declared additional properties reach the sinks (and so the counters' filters). An unknown event, an
    /// identifier the event doesn't declare, a property of the wrong type or an undeclared custom property is
    /// logged (warning) and counted as rejected, and nothing is stored.
    ///
    /// - Parameter sendEventRecord: false keeps the event out of event records (Do-Not-Track, or counters only);
    ///   the counters are updated either way.
    public func track(
        _ event: String, user: UserID? = nil, project: ProjectID? = nil, namespace: NamespaceID? = nil,
        additionalProperties: [String: PropertyValue] = [:], sendEventRecord: Bool = true
    ) {
        guard
            let tracked = accepted(
                event, user: user, project: project, namespace: namespace, properties: additionalProperties,
                sendEventRecord: sendEventRecord)
        else { return }
        for sink in sinks { sink.enqueue(tracked) }
    }

    /// Tracks one event strictly, as GitLab does in development and tests, and waits until every sink stored it.
    ///
    /// - Throws: `TrackingError` for an unknown event, an identifier the event doesn't declare, a property of the
    ///   wrong type, an undeclared custom property (nothing is stored then), or a sink that failed (`.sinkFailed`;
    ///   the other sinks still got the event).
    public func trackStrictly(
        _ event: String, user: UserID? = nil, project: ProjectID? = nil, namespace: NamespaceID? = nil,
        additionalProperties: [String: PropertyValue] = [:], sendEventRecord: Bool = true
    ) async throws(TrackingError) {
        let tracked: TrackedEvent
        do {
            tracked = try validate(
                event, user: user, project: project, namespace: namespace, properties: additionalProperties,
                sendEventRecord: sendEventRecord)
        } catch {
            reject(error)
            throw error
        }
        counts.accepted()
        var failure: TrackingError?
        for sink in sinks {
            do {
                try await sink.record(tracked)
            } catch {
                counts.sinkFailed()
                logger.error(
                    "event not stored",
                    metadata: ["event": "\(event)", "sink": "\(type(of: sink))", "error": "\(error)"])
                failure = failure ?? TrackingError(code: .sinkFailed, event: event, message: "\(error)")
            }
        }
        if let failure { throw failure }
    }

    /// Stores everything the sinks buffer.
    public func flush() async {
        for sink in sinks { await sink.flush() }
    }

    /// Events accepted, rejected, and sink failures since the tracker was made.
    public var statistics: (accepted: Int, rejected: Int, sinkFailures: Int) { counts.snapshot }

    /// The validated event, or `nil` after logging and counting why it was rejected.
    private func accepted(
        _ event: String, user: UserID?, project: ProjectID?, namespace: NamespaceID?,
        properties: [String: PropertyValue], sendEventRecord: Bool
    ) -> TrackedEvent? {
        do {
            let tracked = try validate(
                event, user: user, project: project, namespace: namespace, properties: properties,
                sendEventRecord: sendEventRecord)
            counts.accepted()
            return tracked
        } catch {
            reject(error)
            return nil
        }
    }

    private func reject(_ error: TrackingError) {
        counts.rejected()
        logger.warning("event rejected", metadata: ["event": "\(error.event)", "reason": "\(error.message)"])
    }
}

/// The tracker's own counts, also reported through swift-metrics.
final class TrackerCounts: Sendable {
    private let acceptedCount = AtomicCounter()
    private let rejectedCount = AtomicCounter()
    private let sinkFailureCount = AtomicCounter()
    private let acceptedMetric = Counter(label: "tally_tracker_events_total", dimensions: [("result", "accepted")])
    private let rejectedMetric = Counter(label: "tally_tracker_events_total", dimensions: [("result", "rejected")])
    private let sinkFailureMetric = Counter(label: "tally_tracker_sink_failures_total")

    func accepted() {
        acceptedCount.add()
        acceptedMetric.increment()
    }

    func rejected() {
        rejectedCount.add()
        rejectedMetric.increment()
    }

    func sinkFailed() {
        sinkFailureCount.add()
        sinkFailureMetric.increment()
    }

    var snapshot: (accepted: Int, rejected: Int, sinkFailures: Int) {
        (acceptedCount.value, rejectedCount.value, sinkFailureCount.value)
    }
}
