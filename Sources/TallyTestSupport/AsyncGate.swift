import Hiredis

/// A gate tasks wait at until it is opened, once: for tests that must hold a task at a known point ("mid-write")
/// and go on only once other work is observably under way. Waiting holds no thread.
public final class AsyncGate: Sendable {
    private struct State {
        var isOpen = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = LockedValueBox(State())

    public init() {}

    /// Whether a task is waiting at the gate now.
    public var hasWaiter: Bool { state.withLockedValue { !$0.waiters.isEmpty } }

    /// Returns once the gate is open (at once if it already is).
    public func wait() async {
        await withCheckedContinuation { continuation in
            let passes = state.withLockedValue { state in
                if state.isOpen { return true }
                state.waiters.append(continuation)
                return false
            }
            if passes { continuation.resume() }
        }
    }

    /// Opens the gate: every waiting task goes on, and later ones pass at once.
    public func open() {
        let waiters = state.withLockedValue { state in
            state.isOpen = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
