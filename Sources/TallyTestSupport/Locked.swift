import Hiredis

/// A value shared between test tasks, behind a lock.
public final class Locked<Value: Sendable>: Sendable {
    private let storage: LockedValueBox<Value>

    public init(_ value: Value) {
        storage = LockedValueBox(value)
    }

    /// Runs `body` with exclusive access to the value.
    @discardableResult
    public func withLock<Result: Sendable>(_ body: (inout Value) -> Result) -> Result {
        storage.withLockedValue { body(&$0) }
    }

    /// The current value.
    public var value: Value { storage.withLockedValue { $0 } }
}
