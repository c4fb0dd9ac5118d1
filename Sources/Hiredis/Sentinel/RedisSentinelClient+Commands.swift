extension RedisSentinelClient: RedisClient {
    public var isCluster: Bool { false }
    public var waitsForReplicas: Bool { true }
    public var maximumConcurrentCalls: Int { configuration.pool.maximumConnections }

    /// Sends one command to the master; see `pipeline(_:)`.
    public func send(_ command: RedisCommand) async throws(RedisError) -> RedisReply {
        try await pipeline([command])[0]
    }

    /// Sends the commands to the master in one round trip and returns the replies in order. When a demoted master
    /// refused one with `-READONLY`, that command and every one after it are sent again, in order, to the master
    /// the sentinels name next: those after it ran on a replica, so only reads ran, and they are read again where
    /// the writes go. (A `MULTI`…`EXEC` block counts as one command.) The commands before it keep their replies.
    /// All of them are sent again when the master refused the connection.
    /// - Throws: the master's connection error once the commands may have run (I/O, EOF, timeout), or when no
    ///   master is found within the backoff.
    public func pipeline(_ commands: [RedisCommand]) async throws(RedisError) -> [RedisReply] {
        if commands.isEmpty { return [] }
        var replies = [RedisReply?](repeating: nil, count: commands.count)
        var pending = Self.units(of: commands)
        var retries = 0
        while true {
            let master = try await currentMaster()
            let failure: RedisError
            do {
                let answers = try await master.pool.pipeline(pending.flatMap { $0.map { commands[$0] } })
                var refused: [Range<Int>] = []
                var offset = 0
                for unit in pending {
                    let unitReplies = answers[offset..<offset + unit.count]
                    offset += unit.count
                    if refused.isEmpty && !unitReplies.contains(where: { $0.serverError?.code == .readOnly }) {
                        for (index, reply) in zip(unit, unitReplies) { replies[index] = reply }
                    } else {
                        refused.append(unit)
                    }
                }
                if refused.isEmpty { return replies.map { $0 ?? .null } }
                count { $0.readOnlyRetries += 1 }
                pending = refused
                failure = RedisError(code: .readOnly, message: "\(master.address) is no longer the master")
            } catch {
                failure = error
            }
            try await recover(from: failure, master: master, retries: &retries)
        }
    }

    /// The commands as units that succeed or fail together: each `MULTI`…`EXEC` block, and every other command on
    /// its own.
    static func units(of commands: [RedisCommand]) -> [Range<Int>] {
        var units: [Range<Int>] = []
        var index = 0
        while index < commands.count {
            if commands[index].isNamed("MULTI"),
                let end = commands[(index + 1)...].firstIndex(where: { $0.isNamed("EXEC") })
            {
                units.append(index..<end + 1)
                index = end + 1
            } else {
                units.append(index..<index + 1)
                index += 1
            }
        }
        return units
    }

    /// Runs the commands in `MULTI`/`EXEC` on the master; sent again whole to the next master after `-READONLY`
    /// (a demoted master runs none of them) or a refused connection.
    public func transaction(_ commands: [RedisCommand]) async throws(RedisError) -> [RedisReply] {
        var retries = 0
        while true {
            let master = try await currentMaster()
            do {
                return try await master.pool.transaction(commands)
            } catch {
                if error.code == .readOnly { count { $0.readOnlyRetries += 1 } }
                try await recover(from: error, master: master, retries: &retries)
            }
        }
    }

    /// Runs `script` on the master (`EVALSHA`, `EVAL` where the master doesn't hold it yet); sent again to the next
    /// master after `-READONLY` (a script that writes does not start on a replica) or a refused connection.
    public func evaluate(
        _ script: RedisScript, keys: [any RedisArgumentConvertible] = [],
        arguments: [any RedisArgumentConvertible] = []
    ) async throws(RedisError) -> RedisReply {
        try await evaluate(script, keys: keys, arguments: arguments, replicaTimeout: .zero).reply
    }

    /// `evaluate`, then, when the master had replicas connected when it was found, `WAIT 1 replicaTimeout` on the
    /// same connection in the same write (`replicaTimeout` zero: no wait).
    public func evaluate(
        _ script: RedisScript, keys: [any RedisArgumentConvertible], arguments: [any RedisArgumentConvertible],
        replicaTimeout: Duration
    ) async throws(RedisError) -> (reply: RedisReply, replicated: Bool?) {
        var retries = 0
        while true {
            let master = try await currentMaster()
            let waits = replicaTimeout > .zero && master.replicas > 0
            let failure: RedisError
            do {
                let (reply, replicated) = try await master.pool.withConnection { connection throws(RedisError) in
                    let reply = try connection.evaluate(script, keys: keys, arguments: arguments)
                    guard waits else { return (reply, Bool?.none) }
                    let acknowledged = try connection.send(.wait(replicas: 1, timeout: replicaTimeout)).int()
                    return (reply, Bool?.some(acknowledged >= 1))
                }
                guard reply.serverError?.code == .readOnly else { return (reply, replicated) }
                count { $0.readOnlyRetries += 1 }
                failure = RedisError(code: .readOnly, message: "\(master.address) is no longer the master")
            } catch {
                failure = error
            }
            try await recover(from: failure, master: master, retries: &retries)
        }
    }

    /// After a failed attempt on `master`: forgets it where the master may have changed, and returns (to try
    /// again after a backoff) when the commands surely did not run; throws otherwise, or once out of retries.
    private func recover(from error: RedisError, master: Master, retries: inout Int) async throws(RedisError) {
        let retryable =
            error.code == .readOnly || error.code == .connectionRefused || (error.code == .poolClosed && !isClosed)
        if retryable || error.breaksConnection { forget(master) }
        guard retryable else { throw error }
        if error.code != .readOnly { count { $0.unreachable += 1 } }
        if retries >= configuration.backoff.maximumRetries { throw error }
        do {
            try await Task.sleep(for: configuration.backoff.delay(beforeRetry: retries))
        } catch {
            throw RedisError(code: .cancelled, message: "the task was cancelled while waiting to retry")
        }
        retries += 1
    }
}

extension RedisCommand {
    /// Whether the command's name is `name` (ASCII, any case).
    func isNamed(_ name: String) -> Bool {
        guard let first = arguments.first, first.count == name.utf8.count else { return false }
        return zip(first, name.utf8).allSatisfy { $0 | 0x20 == $1 | 0x20 }
    }
}
