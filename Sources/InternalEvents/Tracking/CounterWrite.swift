import Hiredis

/// One change to one counter. Direct mode sends the writes of one event; buffered mode sends sums of many.
public enum CounterWrite: Sendable, Hashable {
    /// `INCRBY key count`; weekly keys also get `EXPIRE key 3628800 NX` (a TTL only where none is set, as GitLab).
    case increment(key: String, by: Int64, weekly: Bool)
    /// `INCRBYFLOAT key amount`, with the same TTL rule.
    case incrementFloat(key: String, by: Double, weekly: Bool)
    /// `PFADD key members…` then `EXPIRE key 3628800` (refreshed on every write, as GitLab).
    case addUnique(key: String, members: [String])
    /// `HINCRBY key field count` (a unique total: how often each value was seen), with the TTL rule of counters.
    case incrementField(key: String, field: String, by: Int64, weekly: Bool)

    /// The key written.
    public var key: String {
        switch self {
        case .increment(let key, _, _), .incrementFloat(let key, _, _), .addUnique(let key, _),
            .incrementField(let key, _, _, _):
            key
        }
    }

    /// About how many command arguments the write sends: what bounds a flush chunk.
    public var argumentCount: Int {
        switch self {
        case .increment, .incrementFloat: 6
        case .incrementField: 7
        case .addUnique(_, let members): members.count + 2 * (members.count / 300 + 1) + 3
        }
    }

    /// The Redis commands of this write, without `MULTI`/`EXEC` (see `RedisCounterCommands`).
    public var commands: [RedisCommand] {
        let ttl = CounterKeyScheme.weeklyTTLSeconds
        switch self {
        case .increment(let key, let count, let weekly):
            let increment: RedisCommand = count == 1 ? .incr(key) : .incrBy(key, count)
            return weekly ? [increment, .expireIfUnset(key, seconds: ttl)] : [increment]
        case .incrementFloat(let key, let amount, let weekly):
            return weekly
                ? [.incrByFloat(key, amount), .expireIfUnset(key, seconds: ttl)] : [.incrByFloat(key, amount)]
        case .incrementField(let key, let field, let count, let weekly):
            let increment: RedisCommand = .hincrBy(key, field: field, count)
            return weekly ? [increment, .expireIfUnset(key, seconds: ttl)] : [increment]
        case .addUnique(let key, let members):
            // GitLab adds at most 300 values per PFADD.
            var commands: [RedisCommand] = stride(from: 0, to: members.count, by: 300).map {
                .pfadd(key, Array(members[$0..<min($0 + 300, members.count)]))
            }
            commands.append(.expire(key, seconds: ttl))
            return commands
        }
    }
}

/// Turns writes into one pipeline: counters as they are, each unique write inside its own `MULTI`/`EXEC`.
public enum RedisCounterCommands {
    public static func pipeline(for writes: [CounterWrite]) -> [RedisCommand] {
        var commands: [RedisCommand] = []
        commands.reserveCapacity(writes.count * 2 + 4)
        for write in writes {
            if case .addUnique = write {
                commands.append(.multi)
                commands += write.commands
                commands.append(.exec)
            } else {
                commands += write.commands
            }
        }
        return commands
    }

    /// Sends the writes and returns when Redis answered them all.
    ///
    /// On one server they go in one pipeline (`pipeline(for:)`). On a cluster, where `MULTI`/`EXEC` must run on
    /// the node of its key, the counters go in one pipeline (split per node by the client) and each unique write in
    /// a transaction of its own, on its key's node.
    /// - Throws: the first refusal Redis answered (classified, so `isTransient` tells whether it passes), or the
    ///   connection's error.
    public static func send(_ writes: [CounterWrite], on client: any RedisClient) async throws(RedisError) {
        guard client.isCluster else {
            let commands = pipeline(for: writes)
            if commands.isEmpty { return }
            try checkReplies(try await client.pipeline(commands))
            return
        }
        var counters: [RedisCommand] = []
        var uniques: [[RedisCommand]] = []
        for write in writes {
            if case .addUnique = write { uniques.append(write.commands) } else { counters += write.commands }
        }
        if !counters.isEmpty { try checkReplies(try await client.pipeline(counters)) }
        for unique in uniques { try checkReplies(try await client.transaction(unique)) }
    }

    /// Sends the writes in one pipeline on `connection`, blocking until Redis answered (run it on the
    /// connection's own thread: inside `RedisConnectionPool.withConnection`).
    /// - Throws: as `send(_:on:)` with a client.
    public static func send(_ writes: [CounterWrite], on connection: RedisConnection) throws(RedisError) {
        let commands = pipeline(for: writes)
        if commands.isEmpty { return }
        try checkReplies(try connection.pipeline(commands))
    }

    private static func checkReplies(_ replies: [RedisReply]) throws(RedisError) {
        for reply in replies {
            let results: [RedisReply] = if case .array(let inner) = reply { inner } else { [reply] }
            if let refused = results.lazy.compactMap(\.serverError).first { throw refused }
        }
    }
}
