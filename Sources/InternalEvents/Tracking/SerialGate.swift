import Hiredis

/// Lets one task at a time through, in arrival order: the buffered sink's flush cycles (its loop's, `flush()`'s
/// and `shutdown()`'s) never overlap, nor do the collector's SQLite writes. Waiting is not cancellable: a body, once
/// asked for, runs. Waiting tasks hold no thread.
public final class SerialGate: Sendable {
    private struct State {
        var busy = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = LockedValueBox(State())

    public init() {}

    /// Runs `body` once every earlier caller's `body` has finished.
    public func run<Result: Sendable>(_ body: () async -> Result) async -> Result {
        await enter()
        let result = await body()
        leave()
        return result
    }

    /// Runs a throwing `body` once every earlier caller's `body` has finished; the gate opens whether it throws or
    /// not.
    public func run<Result: Sendable>(_ body: () async throws -> Result) async throws -> Result {
        await enter()
        defer { leave() }
        return try await body()
    }

    private func enter() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let enterNow = state.withLockedValue { state -> Bool in
                if state.busy {
                    state.waiters.append(continuation)
                    return false
                }
                state.busy = true
                return true
            }
            if enterNow { continuation.resume() }
        }
    }

    private func leave() {
        let next = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty {
                state.busy = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
