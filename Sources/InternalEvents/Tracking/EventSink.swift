/// Where tracked events go: Redis counters, event records, a test recorder. The tracker is a facade over sinks,
/// in the manner of swift-log's handlers.
///
/// Sinks that do I/O in the background (the buffered and direct Redis sinks, the event-record emitter) are also
/// `BackgroundService`s: their work runs inside `run()`, never from an `init`.
public protocol EventSink: Sendable {
    /// Takes one validated event without waiting: adds it to a buffer or a bounded queue, or drops and counts it.
    ///
    /// `Tracker.track` calls it from any thread, synchronous code included: it must not block, suspend or throw.
    func enqueue(_ event: TrackedEvent)

    /// Stores one validated event and returns once it is stored (a sink that buffers returns once it holds it).
    ///
    /// `Tracker.trackStrictly` calls it. The default enqueues.
    /// - Throws: only when the event could not be stored.
    func record(_ event: TrackedEvent) async throws

    /// Stores everything held so far; returns when that attempt ended.
    func flush() async
}

extension EventSink {
    public func record(_ event: TrackedEvent) async throws {
        enqueue(event)
    }

    public func flush() async {}
}
