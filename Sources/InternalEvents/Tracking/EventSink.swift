import NIOConcurrencyHelpers

/// Where tracked events go: Redis counters, event records, a test recorder. The tracker is a facade over sinks,
/// in the manner of swift-log's handlers.
public protocol EventSink: Sendable {
    /// Takes one validated event. Buffered sinks return at once; direct sinks return when stored.
    /// - Throws: only when the event could not be stored (the tracker logs and counts it, and rethrows in strict mode).
    func record(_ event: TrackedEvent) async throws
    /// Stores everything buffered so far.
    func flush() async
}

extension EventSink {
    public func flush() async {}
}

/// Keeps every event it receives, for tests and previews.
public final class RecordingEventSink: EventSink {
    private let storage = NIOLockedValueBox<[TrackedEvent]>([])

    public init() {}

    public func record(_ event: TrackedEvent) async throws {
        storage.withLockedValue { $0.append(event) }
    }

    /// The events received so far, in order.
    public var events: [TrackedEvent] { storage.withLockedValue { $0 } }
}
