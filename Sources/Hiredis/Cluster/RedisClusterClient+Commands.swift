extension RedisClusterClient: RedisClient {
    public var isCluster: Bool { true }
    public var waitsForReplicas: Bool { true }
    public var maximumConcurrentCalls: Int { configuration.pool.maximumConnections }

    /// Sends one command to the master of its keys' slot (any master for a command without keys) and returns its
    /// reply, following redirects and retrying as `pipeline(_:)` does.
    ///
    /// A server error reply is returned as `.error`, not thrown; after `backoff.maximumRetries` retries a
    /// `-TRYAGAIN` or `-CLUSTERDOWN` reply is returned so.
    /// - Throws: `.crossSlot` before sending when the command's keys are in different slots (a programming error);
    ///   `.tooManyRedirects`; connection errors (not retried once the command may have been sent).
    public func send(_ command: RedisCommand) async throws(RedisError) -> RedisReply {
        try await pipeline([command])[0]
    }

    /// Sends the commands, each to the master of its keys' slot, and returns the replies in the caller's order.
    ///
    /// Each node gets its share in one round trip, all nodes at once, in the caller's order; a command that is
    /// redirected or retried runs again after the ones of its node that were answered (so `MGET a b` refused with
    /// `-TRYAGAIN` may run after a later `INCR a`: keep commands that depend on each other in a transaction).
    /// Commands without keys go to the first master. Replies of `-MOVED` (the slot map is corrected, and read
    /// again soon) and `-ASK` (`ASKING` and the command, in one write on one connection of the named node) are
    /// followed, all of one round together, at most `maximumRedirects` rounds; `-TRYAGAIN`, `-CLUSTERDOWN`, a slot
    /// without master and a node refusing connections are retried after a backoff, at most
    /// `backoff.maximumRetries` times. Redirected and refused commands did not run, so retrying them is safe.
    /// - Throws: `.crossSlot` before anything is sent when one command's keys are in different slots;
    ///   `.tooManyRedirects`; `.clusterDown` when a slot keeps having no master; `.cancelled` when the task is
    ///   cancelled during a backoff; a node's connection error (I/O, EOF, timeout) at once: its commands may or may
    ///   not have run, and other nodes' replies are dropped.
    public func pipeline(_ commands: [RedisCommand]) async throws(RedisError) -> [RedisReply] {
        if commands.isEmpty { return [] }
        let slots = try RedisCommand.clusterSlots(of: commands)
        // The common case first: every command for one node and none refused, so one pipeline and nothing to track
        // per command. Otherwise its replies are the first round of the general case below.
        var firstRound: (address: RedisClusterAddress, outcome: Result<[RedisReply], RedisError>)?
        if let address = try await currentTopology().soleMaster(of: slots) {
            let outcome = await deliver(commands, to: address)
            if case .success(let replies) = outcome, !replies.contains(where: \.isError) { return replies }
            firstRound = (address, outcome)
        }
        var replies = [RedisReply?](repeating: nil, count: commands.count)
        var pending = commands.indices.map { RedisClusterPendingCommand(index: $0) }
        var redirectRounds = 0
        var retries = 0
        while !pending.isEmpty {
            var round = RedisClusterPipelineRound()
            let outcomes: [(RedisClusterAddress, [RedisClusterPendingCommand], Result<[RedisReply], RedisError>)]
            if let first = firstRound {
                firstRound = nil
                outcomes = [(first.address, pending, first.outcome)]
            } else {
                let topology = try await currentTopology()
                var batches: [RedisClusterAddress: [RedisClusterPendingCommand]] = [:]
                for item in pending {
                    guard let address = item.askTarget ?? route(slots[item.index], in: topology) else {
                        count { $0.unreachable += 1 }
                        markTopologyStale()
                        round.retry(item, because: .unserved(slots[item.index]))
                        continue
                    }
                    batches[address, default: []].append(item)
                }
                outcomes = await deliver(batches, commands: commands)
            }
            for (address, batch, outcome) in outcomes {
                switch outcome {
                case .failure(let error):
                    if error.code == .connectionRefused || (error.code == .poolClosed && !isClosed) {
                        // Nothing reached the node: safe to send again once the map is read again.
                        count { $0.unreachable += 1 }
                        markTopologyStale()
                        for item in batch { round.retry(item, because: .unreachable(error)) }
                    } else {
                        if error.breaksConnection { markTopologyStale() }
                        throw error
                    }
                case .success(let batchReplies):
                    for (item, reply) in zip(batch, batchReplies) {
                        round.classify(reply, of: item, from: address, client: self) { replies[item.index] = $0 }
                    }
                }
            }
            pending = round.next.sorted { $0.index < $1.index }
            if pending.isEmpty { break }
            if round.redirected {
                redirectRounds += 1
                if redirectRounds > configuration.maximumRedirects {
                    throw tooManyRedirects(round.lastRedirect)
                }
            }
            if round.needsBackoff {
                if retries >= configuration.backoff.maximumRetries {
                    // Out of retries: a server's refusal is the command's reply, any other cause an error.
                    for item in pending {
                        guard let reply = item.lastReply else { throw round.finalError(retries: retries) }
                        replies[item.index] = reply
                    }
                    break
                }
                try await sleep(configuration.backoff.delay(beforeRetry: retries))
                retries += 1
            }
        }
        return replies.map { $0 ?? .null }
    }

    /// Runs the commands in `MULTI`/`EXEC` on the master of their keys' slot and returns `EXEC`'s replies.
    ///
    /// After `-ASK` the transaction goes to the named node as `ASKING`, `MULTI`, the commands and `EXEC` in one
    /// write (one `ASKING` before `MULTI` covers the whole transaction). `-MOVED`, `-ASK`, `-TRYAGAIN` and
    /// `-CLUSTERDOWN` (at queueing time or from `EXEC`) mean nothing ran, so the transaction is sent again as
    /// `pipeline(_:)` describes.
    /// - Throws: `.crossSlot` before anything is sent when the keys are in more than one slot: `MULTI`/`EXEC` runs
    ///   on one node, so that is a programming error (give the keys one hash tag). Otherwise what
    ///   `RedisConnection.transaction(_:)` throws, the last `-TRYAGAIN`/`-CLUSTERDOWN` once out of retries,
    ///   `.tooManyRedirects`.
    public func transaction(_ commands: [RedisCommand]) async throws(RedisError) -> [RedisReply] {
        try await onMaster(of: try Self.transactionSlot(commands)) { address, asking, _ throws(RedisError) in
            try await pool(for: address).withConnection { connection throws(RedisError) in
                try connection.transaction(commands, asking: asking)
            }
        }
    }

    /// Runs `attempt` against the master of `slot` until it returns: a `-MOVED` or `-ASK` it throws is followed (the
    /// next attempt goes to the named node, with `asking` set after `-ASK`), `-TRYAGAIN`, `-CLUSTERDOWN`, a refused
    /// connection and a slot without master are retried after a backoff; any other error is the caller's. For work
    /// that must run on one node as a unit: a transaction, a script and its `WAIT`.
    func onMaster<Result>(
        of slot: RedisClusterSlot?,
        _ attempt: (RedisClusterAddress, _ asking: Bool, RedisClusterTopology) async throws(RedisError) -> Result
    ) async throws(RedisError) -> Result {
        var askTarget: RedisClusterAddress?
        var redirects = 0
        var retries = 0
        while true {
            let topology = try await currentTopology()
            let failure: RedisError
            if let address = askTarget ?? route(slot, in: topology) {
                let asking = askTarget != nil
                do {
                    return try await attempt(address, asking, topology)
                } catch {
                    failure = error
                }
                askTarget = nil
                if let redirect = RedisClusterRedirect(failure, answeredBy: address) {
                    redirects += 1
                    if redirects > configuration.maximumRedirects { throw tooManyRedirects(redirect) }
                    if redirect.kind == .moved {
                        apply(moved: redirect)
                    } else {
                        count { $0.ask += 1 }
                        askTarget = redirect.address
                    }
                    continue
                }
                switch failure.code {
                case .tryAgain: count { $0.tryAgain += 1 }
                case .clusterDown: count { $0.clusterDown += 1 }
                case .connectionRefused: count { $0.unreachable += 1 }
                case .poolClosed where !isClosed: count { $0.unreachable += 1 }
                default:
                    if failure.breaksConnection { markTopologyStale() }
                    throw failure
                }
                if failure.code != .tryAgain { markTopologyStale() }
            } else {
                failure = Self.unservedError(slot)
                count { $0.unreachable += 1 }
                markTopologyStale()
            }
            if retries >= configuration.backoff.maximumRetries { throw failure }
            try await sleep(configuration.backoff.delay(beforeRetry: retries))
            retries += 1
        }
    }

    /// The one slot of a transaction's keys (`nil` without keys).
    /// - Throws: `.crossSlot`, naming two keys and their slots, when there is more than one.
    static func transactionSlot(_ commands: [RedisCommand]) throws(RedisError) -> RedisClusterSlot? {
        var first: (slot: RedisClusterSlot, key: [UInt8])?
        for command in commands {
            for key in command.keys {
                let slot = RedisClusterSlot(key: key)
                guard let known = first else {
                    first = (slot, key)
                    continue
                }
                if known.slot != slot {
                    throw RedisError(
                        code: .crossSlot,
                        message:
                            "programming error: a transaction's keys must be in one cluster slot, but "
                            + "\(RedisCommand.shown(known.key)) is in \(known.slot) and \(RedisCommand.shown(key)) "
                            + "in \(slot); MULTI/EXEC runs on one node, so give its keys one hash tag ({…}). "
                            + "Nothing was sent.")
                }
            }
        }
        return first?.slot
    }

    // MARK: - Routing

    /// The master of `slot`, or the first master for a command without keys.
    private func route(_ slot: RedisClusterSlot?, in topology: RedisClusterTopology) -> RedisClusterAddress? {
        guard let slot else { return topology.masters.first }
        return topology.master(for: slot)
    }

    /// Sends each node its batch in one pipeline, all nodes at once; an `ASK`ed command goes after its own
    /// `ASKING`, in the same write.
    private func deliver(
        _ batches: [RedisClusterAddress: [RedisClusterPendingCommand]], commands: [RedisCommand]
    ) async -> [(RedisClusterAddress, [RedisClusterPendingCommand], Result<[RedisReply], RedisError>)] {
        @Sendable func run(
            _ batch: [RedisClusterPendingCommand], on address: RedisClusterAddress
        ) async -> Result<[RedisReply], RedisError> {
            var wire: [RedisCommand] = []
            var answers: [Int] = []
            wire.reserveCapacity(batch.count)
            for item in batch {
                if item.askTarget != nil { wire.append(.asking) }
                answers.append(wire.count)
                wire.append(commands[item.index])
            }
            return await deliver(wire, to: address).map { replies in answers.map { replies[$0] } }
        }
        if batches.count == 1, let only = batches.first {
            return [(only.key, only.value, await run(only.value, on: only.key))]
        }
        return await withTaskGroup(
            of: (RedisClusterAddress, [RedisClusterPendingCommand], Result<[RedisReply], RedisError>).self
        ) {
            group in
            for (address, batch) in batches {
                group.addTask { (address, batch, await run(batch, on: address)) }
            }
            var outcomes: [(RedisClusterAddress, [RedisClusterPendingCommand], Result<[RedisReply], RedisError>)] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
    }

    /// Sends `commands` to the node at `address` in one pipeline.
    private func deliver(
        _ commands: [RedisCommand], to address: RedisClusterAddress
    ) async -> Result<[RedisReply], RedisError> {
        do {
            return .success(try await pool(for: address).pipeline(commands))
        } catch {
            return .failure(error)
        }
    }

    private func sleep(_ delay: Duration) async throws(RedisError) {
        do {
            try await Task.sleep(for: delay)
        } catch {
            throw RedisError(code: .cancelled, message: "the task was cancelled while waiting to retry")
        }
    }

    private func tooManyRedirects(_ last: RedisClusterRedirect?) -> RedisError {
        RedisError(
            code: .tooManyRedirects,
            message:
                "still redirected after \(configuration.maximumRedirects) redirects"
                + (last.map { " (last: \($0))" } ?? "") + "; the cluster's slots keep moving or its nodes disagree")
    }

    static func unservedError(_ slot: RedisClusterSlot?) -> RedisError {
        RedisError(
            code: .clusterDown,
            message: "no master serves \(slot.map(\.description) ?? "any slot") in the cluster's slot map")
    }
}
