import NIOConcurrencyHelpers

/// The event ids that groups being written in this process hold, so that two groups in flight at once never both
/// find one id unstored and store it twice (a sender's retry racing its original request).
///
/// A group reserves all its ids before it looks them up and releases them once written (or failed); a group whose
/// ids overlap a group in flight waits for that group, then looks its ids up as usual. Copies stored by two
/// collector processes at once are the warehouse engine's to merge.
///
/// **Thread safety:** `Sendable`. Waiting holds no thread.
final class EventIDReservations: Sendable {
    private struct State {
        var held: Set<String> = []
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    // NIO's lock, not `Synchronization.Mutex`: ThreadSanitizer can't see the latter's futex on Linux.
    private let state = NIOLockedValueBox(State())

    /// Runs `body` with `ids` reserved: after every other group holding one of them has finished.
    func withReserved<Result: Sendable>(
        _ ids: Set<String>, _ body: () async throws -> Result
    ) async throws -> Result {
        await reserve(ids)
        defer { release(ids) }
        return try await body()
    }

    /// The ids held now (for tests).
    var held: Set<String> { state.withLockedValue { $0.held } }

    /// Groups waiting for ids another group holds (for tests).
    var waitingCount: Int { state.withLockedValue { $0.waiters.count } }

    private func reserve(_ ids: Set<String>) async {
        while true {
            let reserved = state.withLockedValue { state in
                guard state.held.isDisjoint(with: ids) else { return false }
                state.held.formUnion(ids)
                return true
            }
            if reserved { return }
            await withCheckedContinuation { continuation in
                // Checked again under the lock: a release between the two would otherwise wake no one.
                let free = state.withLockedValue { state in
                    if state.held.isDisjoint(with: ids) { return true }
                    state.waiters.append(continuation)
                    return false
                }
                if free { continuation.resume() }
            }
        }
    }

    private func release(_ ids: Set<String>) {
        let waiters = state.withLockedValue { state in
            state.held.subtract(ids)
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
