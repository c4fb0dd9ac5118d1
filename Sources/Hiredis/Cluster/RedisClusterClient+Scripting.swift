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
}
