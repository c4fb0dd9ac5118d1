import Hiredis

/// Keeps every event it receives, in order: for tests and previews. `TallyTesting` builds its helpers on it.
///
/// **Thread safety:** any thread may enqueue and read at once; reads return a copy.
public final class RecordingEventSink: EventSink {
    private let storage = LockedValueBox<[TrackedEvent]>([])

    public init() {}

    public func enqueue(_ event: TrackedEvent) {
        storage.withLockedValue { $0.append(event) }
    }

    /// The events received so far, in order.
    public var events: [TrackedEvent] { storage.withLockedValue { $0 } }

    /// Forgets the events received so far.
    public func removeAll() {
        storage.withLockedValue { $0.removeAll() }
    }

}
