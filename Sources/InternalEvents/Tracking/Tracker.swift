import Foundation
import Logging
import Metrics
import Synchronization

/// The app's entry point: `track(_:user:project:namespace:additionalProperties:)`.
///
/// A `Sendable` facade over event sinks (Redis counters, event records, test recorders): it validates each event
/// against the definitions, as GitLab does, and hands the valid ones to every sink. Libraries accept a tracker;
/// the app builds one at start.
public struct Tracker: Sendable {
    /// How the tracker reacts to a bad event or a failing sink.
    public enum Mode: Sendable, Hashable {
        /// `track` never throws: problems are logged and counted, and the app goes on (GitLab in production).
        case production
        /// `track` throws `TrackingError` (GitLab in development and tests).
        case strict
    }

    public let catalog: DefinitionCatalog
    public let mode: Mode
    public let clock: any WallClock
    private let sinks: [any EventSink]
    private let logger: Logger
    private let counts: TrackerCounts

    public init(
        catalog: DefinitionCatalog, sinks: [any EventSink], mode: Mode = .production,
        clock: any WallClock = SystemWallClock(),
        logger: Logger = Logger(label: "tally.tracker")
    ) {
        self.catalog = catalog
        self.sinks = sinks
        self.mode = mode
        self.clock = clock
        self.logger = logger
        self.counts = TrackerCounts()
    }

    /// Tracks one event.
    ///
    /// Only declared additional properties reach the sinks (and so the counters' filters). In production mode this
    /// never throws; in strict mode it throws for an unknown event, an identifier the event doesn't declare, a
    /// property of the wrong type, an undeclared custom property, or a sink that failed.
    ///
    /// - Parameter sendEventRecord: false keeps the event out of event records (Do-Not-Track, or counters only);
    ///   the counters are updated either way.
    public func track(
        _ event: String, user: UserID? = nil, project: ProjectID? = nil, namespace: NamespaceID? = nil,
        additionalProperties: [String: PropertyValue] = [:], sendEventRecord: Bool = true
    ) async throws(TrackingError) {
        var tracked: TrackedEvent
        do {
            tracked = try validate(
                event, user: user, project: project, namespace: namespace, properties: additionalProperties)
        } catch {
            counts.rejected()
            logger.warning("event rejected", metadata: ["event": "\(event)", "reason": "\(error.message)"])
            if mode == .strict { throw error }
            return
        }
        tracked.sendsEventRecord = sendEventRecord
        counts.accepted()
        for sink in sinks {
            do {
                try await sink.record(tracked)
            } catch {
                counts.sinkFailed()
                logger.error(
                    "event not stored",
                    metadata: ["event": "\(event)", "sink": "\(type(of: sink))", "error": "\(error)"])
                if mode == .strict { throw TrackingError(code: .sinkFailed, event: event, message: "\(error)") }
            }
        }
    }

    /// Stores everything the sinks buffer.
    public func flush() async {
        for sink in sinks { await sink.flush() }
    }

    /// Events accepted, rejected, and sink failures since the tracker was made.
    public var statistics: (accepted: Int, rejected: Int, sinkFailures: Int) { counts.snapshot }
}

/// The tracker's own counts, also reported through swift-metrics.
final class TrackerCounts: Sendable {
    private let acceptedCount = Atomic<Int>(0)
    private let rejectedCount = Atomic<Int>(0)
    private let sinkFailureCount = Atomic<Int>(0)
    private let acceptedMetric = Counter(label: "tally_tracker_events_total", dimensions: [("result", "accepted")])
    private let rejectedMetric = Counter(label: "tally_tracker_events_total", dimensions: [("result", "rejected")])
    private let sinkFailureMetric = Counter(label: "tally_tracker_sink_failures_total")

    func accepted() {
        acceptedCount.add(1, ordering: .relaxed)
        acceptedMetric.increment()
    }

    func rejected() {
        rejectedCount.add(1, ordering: .relaxed)
        rejectedMetric.increment()
    }

    func sinkFailed() {
        sinkFailureCount.add(1, ordering: .relaxed)
        sinkFailureMetric.increment()
    }

    var snapshot: (accepted: Int, rejected: Int, sinkFailures: Int) {
        (
            acceptedCount.load(ordering: .relaxed), rejectedCount.load(ordering: .relaxed),
            sinkFailureCount.load(ordering: .relaxed)
        )
    }
}
