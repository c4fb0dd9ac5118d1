import NIOConcurrencyHelpers

/// Writes the collector's event batches with group commit: requests that arrive while a write is under way queue
/// up, and the next write stores all of them in one transaction, so many small batches share one commit (and one
/// `fsync`) instead of each paying for its own.
///
/// No task runs in the background: the first request to find no write under way leads. It opens a session (one
/// database connection), writes its own batch and whatever queued meanwhile in rounds on it, answers those
/// requests, and after `roundsPerLeader` rounds (or a round that failed) closes the session and hands the lead to
/// the oldest waiting request, so no request is held long by others' work and a broken connection is not used
/// again. Each request gets its own outcome; a request is answered only once its transaction has committed (or
/// failed).
///
/// **Thread safety:** `Sendable`; `write` may be called concurrently. Waiting requests hold no thread.
final class EventWriter<Batch: Sendable, Outcome: Sendable>: Sendable {
    /// Stores batches in one transaction and returns each one's outcome, in order; throws if none was stored.
    typealias Store = @Sendable ([Batch]) async throws -> [Outcome]
    /// A leader's rounds, given the store they share; returns the leader's own outcome.
    typealias Rounds = @Sendable (Store) async -> Result<Outcome, any Error>
    /// Opens what one leader's rounds share (for example a database connection), runs `rounds` with the store made
    /// on it, closes it and returns what `rounds` returned; throws when it could not be opened.
    typealias Session = @Sendable (Rounds) async throws -> Result<Outcome, any Error>

    private enum Role: Sendable {
        case lead
        case done(Outcome)
    }

    private struct Waiting: Sendable {
        var batch: Batch
        var continuation: CheckedContinuation<Role, any Error>
    }

    private struct State: Sendable {
        var writing = false
        var queue: [Waiting] = []
    }

    // NIO's lock, not `Synchronization.Mutex`: ThreadSanitizer can't see the latter's futex on Linux.
    private let state = NIOLockedValueBox(State())
    /// Most batches stored in one transaction.
    let maximumGroup: Int
    static var roundsPerLeader: Int { 4 }

    /// Requests waiting for a leader to store their batches (for tests to wait on).
    var waitingCount: Int { state.withLockedValue { $0.queue.count } }

    init(maximumGroup: Int = 64) {
        self.maximumGroup = max(1, maximumGroup)
    }

    /// Stores `batch` (with any others waiting) and returns its outcome once committed, each round with `store`
    /// (nothing shared between rounds). Every caller of one writer passes the same one.
    func write(_ batch: Batch, store: @escaping Store) async throws -> Outcome {
        try await write(batch) { rounds in await rounds(store) }
    }

    /// Stores `batch` (with any others waiting) and returns its outcome once committed. `session` is the leader's:
    /// every caller of one writer passes the same one.
    func write(_ batch: Batch, session: Session) async throws -> Outcome {
        let role = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Role, any Error>) in
            let leads = state.withLockedValue { state in
                if state.writing {
                    state.queue.append(Waiting(batch: batch, continuation: continuation))
                    return false
                }
                state.writing = true
                return true
            }
            if leads { continuation.resume(returning: .lead) }
        }
        switch role {
        case .done(let outcome): return outcome
        case .lead: return try await lead(with: batch, session: session)
        }
    }

    /// Opens a session and writes rounds of batches on it (the leader's own first), then hands the lead on or ends
    /// it. When the session can't be opened, only the leader's own batch fails: the next leader tries again.
    private func lead(with batch: Batch, session: Session) async throws -> Outcome {
        let own: Result<Outcome, any Error>
        do {
            own = try await session { store in await self.rounds(startingWith: batch, store: store) }
        } catch {
            own = .failure(error)
        }
        // Hand the lead to the oldest waiting request, or end it.
        let next = state.withLockedValue { state -> Waiting? in
            if state.queue.isEmpty {
                state.writing = false
                return nil
            }
            return state.queue.removeFirst()
        }
        next?.continuation.resume(returning: .lead)
        return try own.get()
    }

    /// The leader's own batch, then up to `roundsPerLeader - 1` groups of waiting ones, answered as each commits;
    /// stops after a round with a failure (its connection may be broken). Returns the leader's own outcome.
    private func rounds(startingWith batch: Batch, store: Store) async -> Result<Outcome, any Error> {
        let own = await storeGroup([batch], store: store)[0]
        guard case .success = own else { return own }
        for _ in 1..<Self.roundsPerLeader {
            let group = takeGroup()
            if group.isEmpty { break }
            let outcomes = await storeGroup(group.map(\.batch), store: store)
            for (waiting, outcome) in zip(group, outcomes) { waiting.continuation.resume(with: outcome.map(Role.done)) }
            if outcomes.contains(where: { if case .failure = $0 { true } else { false } }) { break }
        }
        return own
    }

    /// Takes up to `maximumGroup` waiting requests.
    private func takeGroup() -> [Waiting] {
        state.withLockedValue { state in
            let group = Array(state.queue.prefix(maximumGroup))
            state.queue.removeFirst(group.count)
            return group
        }
    }

    /// Stores a group in one transaction; if that fails, each batch alone, so one batch the database refuses
    /// fails only itself.
    private func storeGroup(_ batches: [Batch], store: Store) async -> [Result<Outcome, any Error>] {
        do {
            let outcomes = try await store(batches)
            return outcomes.map { .success($0) }
        } catch {
            guard batches.count > 1 else { return [.failure(error)] }
            var results: [Result<Outcome, any Error>] = []
            for batch in batches {
                do {
                    results.append(.success(try await store([batch])[0]))
                } catch {
                    results.append(.failure(error))
                }
            }
            return results
        }
    }
}

/// What copies of one `Warehouse` share: the event writer and the pseudonymizer, once read.
final class WarehouseShared: Sendable {
    let events = EventWriter<EventBatch, CollectOutcome>()
    let pseudonymizer = NIOLockedValueBox<UIDPseudonymizer?>(nil)
}
