extension RedisCommand {
    /// `PING`.
    public static let ping = RedisCommand("PING")
    /// `MULTI`: starts a transaction.
    public static let multi = RedisCommand("MULTI")
    /// `EXEC`: runs a transaction.
    public static let exec = RedisCommand("EXEC")
    /// `DISCARD`: abandons a transaction.
    public static let discard = RedisCommand("DISCARD")

    /// `ECHO message`.
    public static func echo(_ message: some RedisArgumentConvertible) -> RedisCommand {
        RedisCommand("ECHO", arguments: [message])
    }

    /// `GET key`.
    public static func get(_ key: some RedisArgumentConvertible) -> RedisCommand {
        RedisCommand("GET", keys: [key])
    }

    /// `MGET key…`.
    public static func mget(_ keys: [any RedisArgumentConvertible]) -> RedisCommand {
        RedisCommand("MGET", keys: keys)
    }

    /// `SET key value [NX | XX] [EX seconds | PX milliseconds | KEEPTTL]`.
    ///
    /// With a `condition` the reply is `OK` when the key was set and nil when the condition kept it from being set;
    /// without one it is always `OK`. Without an `expiration` the key loses any TTL it had.
    public static func set(
        _ key: some RedisArgumentConvertible, _ value: some RedisArgumentConvertible,
        condition: SetCondition? = nil, expiration: Expiration? = nil
    ) -> RedisCommand {
        var options: [any RedisArgumentConvertible] = [value]
        if let condition { options.append(condition.rawValue) }
        switch expiration {
        case .seconds(let seconds): options += ["EX", seconds]
        case .milliseconds(let milliseconds): options += ["PX", milliseconds]
        case .keepTTL: options.append("KEEPTTL")
        case nil: break
        }
        return RedisCommand("SET", keys: [key], arguments: options)
    }

    /// When `SET` may write the key.
    public enum SetCondition: String, Sendable, Hashable {
        /// `NX`: only if the key does not exist (a lock, a value created once).
        case ifNotExists = "NX"
        /// `XX`: only if the key exists.
        case ifExists = "XX"
    }

    /// The TTL `SET` gives the key.
    public enum Expiration: Sendable, Hashable {
        /// `EX seconds`; Redis refuses zero or less (`ERR invalid expire time`).
        case seconds(Int)
        /// `PX milliseconds`; Redis refuses zero or less.
        case milliseconds(Int)
        /// `KEEPTTL`: keep the TTL the key already has (Redis 6).
        case keepTTL
    }

    /// `GETDEL key`: the value (or nil), and the key deleted (Redis 6.2).
    public static func getdel(_ key: some RedisArgumentConvertible) -> RedisCommand {
        RedisCommand("GETDEL", keys: [key])
    }

    /// `DEL key…`.
    public static func del(_ keys: [any RedisArgumentConvertible]) -> RedisCommand {
        RedisCommand("DEL", keys: keys)
    }

    /// `EXISTS key…`.
    public static func exists(_ keys: [any RedisArgumentConvertible]) -> RedisCommand {
        RedisCommand("EXISTS", keys: keys)
    }

    /// `INCR key`.
    public static func incr(_ key: some RedisArgumentConvertible) -> RedisCommand {
        RedisCommand("INCR", keys: [key])
    }

    /// `INCRBY key increment`.
    public static func incrBy(_ key: some RedisArgumentConvertible, _ increment: Int64) -> RedisCommand {
        RedisCommand("INCRBY", keys: [key], arguments: [increment])
    }

    /// `INCRBYFLOAT key increment`.
    public static func incrByFloat(_ key: some RedisArgumentConvertible, _ increment: Double) -> RedisCommand {
        RedisCommand("INCRBYFLOAT", keys: [key], arguments: [increment])
    }

    /// `HINCRBY key field increment`.
    public static func hincrBy(
        _ key: some RedisArgumentConvertible, field: some RedisArgumentConvertible, _ increment: Int64
    ) -> RedisCommand {
        RedisCommand("HINCRBY", keys: [key], arguments: [field, increment])
    }

    /// `HGETALL key`: field and value, alternating; empty for a missing key.
    public static func hgetall(_ key: some RedisArgumentConvertible) -> RedisCommand {
        RedisCommand("HGETALL", keys: [key])
    }

    /// `EXPIRE key seconds [NX | XX | GT | LT]`: 1 when the TTL was set, 0 when the key is missing or the
    /// condition kept it from being set.
    public static func expire(
        _ key: some RedisArgumentConvertible, seconds: Int, condition: ExpireCondition? = nil
    ) -> RedisCommand {
        RedisCommand("EXPIRE", keys: [key], arguments: condition.map { [seconds, $0.rawValue] } ?? [seconds])
    }

    /// `EXPIRE key seconds NX`: sets a TTL only where the key has none (Redis 7).
    public static func expireIfUnset(_ key: some RedisArgumentConvertible, seconds: Int) -> RedisCommand {
        expire(key, seconds: seconds, condition: .ifNoTTL)
    }

    /// `PEXPIRE key milliseconds [NX | XX | GT | LT]`; replies as `expire`.
    public static func pexpire(
        _ key: some RedisArgumentConvertible, milliseconds: Int, condition: ExpireCondition? = nil
    ) -> RedisCommand {
        RedisCommand(
            "PEXPIRE", keys: [key], arguments: condition.map { [milliseconds, $0.rawValue] } ?? [milliseconds])
    }

    /// When `EXPIRE` and `PEXPIRE` may change the TTL (Redis 7).
    public enum ExpireCondition: String, Sendable, Hashable {
        /// `NX`: only if the key has no TTL.
        case ifNoTTL = "NX"
        /// `XX`: only if the key has a TTL.
        case ifHasTTL = "XX"
        /// `GT`: only if the new TTL is longer than the current one (no TTL counts as infinite).
        case ifLonger = "GT"
        /// `LT`: only if the new TTL is shorter than the current one (no TTL counts as infinite).
        case ifShorter = "LT"
    }

    /// `TTL key`: seconds left, -1 without a TTL, -2 for a missing key.
    public static func ttl(_ key: some RedisArgumentConvertible) -> RedisCommand {
        RedisCommand("TTL", keys: [key])
    }

    /// `PTTL key`: milliseconds left, -1 without a TTL, -2 for a missing key.
    public static func pttl(_ key: some RedisArgumentConvertible) -> RedisCommand {
        RedisCommand("PTTL", keys: [key])
    }

    /// `PFADD key member…`.
    public static func pfadd(
        _ key: some RedisArgumentConvertible, _ members: [any RedisArgumentConvertible]
    ) -> RedisCommand {
        RedisCommand("PFADD", keys: [key], arguments: members)
    }

    /// `PFCOUNT key…`: the cardinality of the union of the HyperLogLogs.
    public static func pfcount(_ keys: [any RedisArgumentConvertible]) -> RedisCommand {
        RedisCommand("PFCOUNT", keys: keys)
    }

    /// `WAIT numreplicas timeout`: blocks the connection until `replicas` replicas acknowledged every write this
    /// connection made, or `timeout` passed (0 waits forever: don't); answers how many did.
    public static func wait(replicas: Int, timeout: Duration) -> RedisCommand {
        RedisCommand("WAIT", arguments: [replicas, max(1, Int(timeout.inNanoseconds / 1_000_000))])
    }

    /// `SELECT index`.
    public static func select(_ database: Int) -> RedisCommand {
        RedisCommand("SELECT", arguments: [database])
    }

    /// `AUTH [username] password`.
    public static func auth(username: String?, password: String) -> RedisCommand {
        if let username { return RedisCommand("AUTH", arguments: [username, password]) }
        return RedisCommand("AUTH", arguments: [password])
    }

    /// `INFO [section]`.
    public static func info(_ section: String? = nil) -> RedisCommand {
        if let section { return RedisCommand("INFO", arguments: [section]) }
        return RedisCommand("INFO")
    }
}

extension RedisCommand {
    /// `ROLE`: `["master", offset, [[ip, port, offset]…]]` on a master, `["slave", ip, port, state, offset]` on a
    /// replica, `["sentinel", [names…]]` on a sentinel.
    public static let role = RedisCommand("ROLE")

    /// `SENTINEL GET-MASTER-ADDR-BY-NAME name`: `[host, port]` of the master a sentinel monitors under `name`, or
    /// null when it monitors none by that name.
    public static func sentinelMasterAddress(_ name: String) -> RedisCommand {
        RedisCommand("SENTINEL", arguments: ["GET-MASTER-ADDR-BY-NAME", name])
    }
}
