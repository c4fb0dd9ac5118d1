extension RedisCommand {
    /// `EVAL script numkeys key… argument…`: runs a Lua script; the keys reach it as `KEYS`, the arguments as `ARGV`.
    ///
    /// The keys are the command's keys (`keys`), so they can be routed like any other command's. For a script run
    /// often, `RedisScript` sends only its SHA-1 (`EVALSHA`) once the server has it.
    public static func eval(
        _ script: String, keys: [any RedisArgumentConvertible] = [], arguments: [any RedisArgumentConvertible] = []
    ) -> RedisCommand {
        scriptCall("EVAL", Array(script.utf8), keys: keys, arguments: arguments)
    }

    /// `EVALSHA sha1 numkeys key… argument…`: runs a script from the server's script cache by its SHA-1 (hex).
    ///
    /// A server that doesn't hold it answers `-NOSCRIPT` (`RedisError.Code.noScript`).
    public static func evalSHA(
        _ sha1: String, keys: [any RedisArgumentConvertible] = [], arguments: [any RedisArgumentConvertible] = []
    ) -> RedisCommand {
        scriptCall("EVALSHA", Array(sha1.utf8), keys: keys, arguments: arguments)
    }

    /// `SCRIPT LOAD script`: puts the script in the server's script cache without running it; the reply is its
    /// SHA-1 as a bulk string of 40 hex digits.
    public static func scriptLoad(_ script: String) -> RedisCommand {
        RedisCommand("SCRIPT", arguments: ["LOAD", script])
    }

    /// `NAME body numkeys key… argument…`, the keys at positions 3….
    private static func scriptCall(
        _ name: String, _ body: [UInt8], keys: [any RedisArgumentConvertible], arguments: [any RedisArgumentConvertible]
    ) -> RedisCommand {
        var all: [[UInt8]] = [Array(name.utf8), body, keys.count.redisArgument]
        all.reserveCapacity(3 + keys.count + arguments.count)
        for key in keys { all.append(key.redisArgument) }
        for argument in arguments { all.append(argument.redisArgument) }
        return RedisCommand(arguments: all, keyPositions: Array(3..<(3 + keys.count)))
    }
}
