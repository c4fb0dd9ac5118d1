extension RedisClusterClient {
    /// Runs `script` on the master of its keys' slot (any master without keys) and returns its reply, with redirects
    /// and retries as `send(_:)`.
    ///
    /// The SHA-1 is learned once with `SCRIPT LOAD` (on any master: it is the same everywhere); then each call is an
    /// `EVALSHA`, and a node that doesn't hold the script yet (`-NOSCRIPT`: it did not run) gets `EVAL`, which also
    /// caches it there. A script's error, or the server's refusal, is returned as `.error`, not thrown.
    /// - Throws: as `send(_:)`; `.crossSlot` before sending when the keys are in different slots.
    public func evaluate(
        _ script: RedisScript, keys: [any RedisArgumentConvertible] = [],
        arguments: [any RedisArgumentConvertible] = []
    ) async throws(RedisError) -> RedisReply {
        let call = script.eval(keys: keys, arguments: arguments)
        _ = try call.clusterSlot()
        if script.sha1 == nil, case .bulk(let sha1) = try await send(.scriptLoad(script.source)) {
            script.learn(String(decoding: sha1, as: UTF8.self))
        }
        if let sha1 = script.sha1 {
            let reply = try await send(.evalSHA(sha1, keys: keys, arguments: arguments))
            if reply.serverError?.code != .noScript { return reply }
        }
        return try await send(call)
    }

    /// Runs `script` on the master of its keys' slot and, when the slot map gives that master replicas not marked failed,
    /// `WAIT 1 replicaTimeout` right after it on the same connection, in one write (after `ASKING` when `-ASK`
    /// sent it to another node). Redirects, `-TRYAGAIN` and `-CLUSTERDOWN` are followed and retried as for a
    /// transaction: the script did not run then.
    /// - Returns: the script's reply (a script's error as `.error`) and whether a replica acknowledged every write
    ///   of that connection, the script's included (`nil` when the master has no replica to wait for).
    /// - Throws: as `transaction(_:)`, with the last `-TRYAGAIN`/`-CLUSTERDOWN` once out of retries.
    public func evaluate(
        _ script: RedisScript, keys: [any RedisArgumentConvertible], arguments: [any RedisArgumentConvertible],
        replicaTimeout: Duration
    ) async throws(RedisError) -> (reply: RedisReply, replicated: Bool?) {
        let call = script.eval(keys: keys, arguments: arguments)
        let slot = try call.clusterSlot()
        if script.sha1 == nil, case .bulk(let sha1) = try await send(.scriptLoad(script.source)) {
            script.learn(String(decoding: sha1, as: UTF8.self))
        }
        return try await onMaster(of: slot) { address, asking, topology throws(RedisError) in
            let waits = topology.liveReplicaCount(of: address) > 0
            let pool = try pool(for: address)
            func run(_ command: RedisCommand) async throws(RedisError) -> (RedisReply, Bool?) {
                var wire: [RedisCommand] = asking ? [.asking, command] : [command]
                if waits { wire.append(.wait(replicas: 1, timeout: replicaTimeout)) }
                let replies = try await pool.pipeline(wire)
                let reply = replies[asking ? 1 : 0]
                if let refusal = reply.serverError, Self.sendsElsewhere(refusal) { throw refusal }
                let acknowledged = waits ? ((try? replies[replies.count - 1].int()) ?? 0) >= 1 : nil
                return (reply, acknowledged)
            }
            if let sha1 = script.sha1 {
                let (reply, replicated) = try await run(.evalSHA(sha1, keys: keys, arguments: arguments))
                if reply.serverError?.code != .noScript { return (reply, replicated) }
            }
            return try await run(call)
        }
    }

    /// A refusal that means "not run here": redirected, or to be retried.
    private static func sendsElsewhere(_ error: RedisError) -> Bool {
        switch error.code {
        case .moved, .ask, .tryAgain, .clusterDown: true
        default: false
        }
    }
}
