import Hiredis

/// Wakes one waiting task early: the flush loops wait for their interval or for this, whichever comes first.
///
/// A signal given while nobody waits is kept (once) for the next wait. Waiting is cancellable: a cancelled waiter
/// returns at once. **Thread safety:** `signal()` may be called from any thread, synchronous code included.
final class WakeupSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = LockedValueBox(State())

    /// Wakes the waiter, or the next one to wait.
    func signal() {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns after `timeout`, on a signal, or when the task is cancelled, whichever comes first.
    func wait(upTo timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: timeout) }
            group.addTask { await self.waitForSignal() }
            await group.next()
            group.cancelAll()
        }
    }

    /// Only one task waits at a time (the loop that owns the signal).
    private func waitForSignal() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLockedValue { state -> Bool in
                    // A cancellation handler that ran before this point found no waiter; `isCancelled` is set
                    // before the handler runs, so checking it under the lock closes that gap.
                    if state.pending || Task.isCancelled {
                        state.pending = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }
}
