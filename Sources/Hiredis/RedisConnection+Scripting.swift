extension RedisConnection {
    /// Runs `script` with `keys` (its `KEYS`) and `arguments` (its `ARGV`) and returns its reply.
    ///
    /// Once the script's SHA-1 is known this is one `EVALSHA` round trip. Before that, and after a `-NOSCRIPT`
    /// answer, it sends `SCRIPT LOAD` and `EVAL` in one pipeline and learns the SHA-1 from the first reply. The
    /// script runs once either way (`NOSCRIPT` means it did not run).
    ///
    /// **Blocking** as `send(_:)`; each round trip is bounded by `commandTimeout`. A script's error, or the
    /// server's refusal, is returned as `.error`, not thrown.
    /// - Throws: `RedisError` when the connection fails; the connection is then broken.
    public func evaluate(
        _ script: RedisScript, keys: [any RedisArgumentConvertible] = [],
        arguments: [any RedisArgumentConvertible] = []
    ) throws(RedisError) -> RedisReply {
        if let sha1 = script.sha1 {
            let reply = try send(.evalSHA(sha1, keys: keys, arguments: arguments))
            if reply.serverError?.code != .noScript { return reply }
        }
        let replies = try pipeline([.scriptLoad(script.source), script.eval(keys: keys, arguments: arguments)])
        if case .bulk(let sha1) = replies[0] { script.learn(String(decoding: sha1, as: UTF8.self)) }
        return replies[1]
    }
}

extension RedisConnectionPool {
    /// Runs `script` on a pooled connection; see `RedisConnection.evaluate(_:keys:arguments:)`.
    public func evaluate(
        _ script: RedisScript, keys: [any RedisArgumentConvertible] = [],
        arguments: [any RedisArgumentConvertible] = []
    ) async throws(RedisError) -> RedisReply {
        try await withConnection { connection throws(RedisError) in
            try connection.evaluate(script, keys: keys, arguments: arguments)
        }
    }
}
