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

    /// `SET key value`.
    public static func set(_ key: some RedisArgumentConvertible, _ value: some RedisArgumentConvertible) -> RedisCommand
    {
        RedisCommand("SET", keys: [key], arguments: [value])
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

    /// `EXPIRE key seconds`.
    public static func expire(_ key: some RedisArgumentConvertible, seconds: Int) -> RedisCommand {
        RedisCommand("EXPIRE", keys: [key], arguments: [seconds])
    }

    /// `EXPIRE key seconds NX`: sets a TTL only where the key has none (Redis 7).
    public static func expireIfUnset(_ key: some RedisArgumentConvertible, seconds: Int) -> RedisCommand {
        RedisCommand("EXPIRE", keys: [key], arguments: [seconds, "NX"])
    }

    /// `TTL key`.
    public static func ttl(_ key: some RedisArgumentConvertible) -> RedisCommand {
        RedisCommand("TTL", keys: [key])
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
