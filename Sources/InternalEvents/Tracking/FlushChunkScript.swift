import Hiredis

/// The buffered sink's write of one chunk: a Lua script that sets the chunk's marker with `SET … NX` and applies
/// the chunk's writes only when it could. Redis runs a script atomically, so "was it applied?" and "apply it" are
/// one step: whichever copy of a chunk runs first (the original, a retry after a lost answer, or a request the
/// server picked up late) applies it, every later copy finds the marker and changes nothing.
///
/// Arguments: `KEYS[1]` the marker (then, on a cluster, the keys written, declared for the cluster's checks only);
/// `ARGV[1]` its TTL in seconds; then each write command as its argument count
/// followed by its arguments. The writes run with `redis.pcall`, so one refused write (a key of another type) is
/// reported in the answer and doesn't stop the others, as inside `EXEC`.
///
/// Answer: `[1, errors…]` when applied now, `[0]` when the marker showed it was applied before.
enum FlushChunkScript {
    /// How long a marker outlives its chunk: longer than any outage a buffered chunk is retried through.
    static let markerTTLSeconds = 604_800

    /// Sent by `EVALSHA` once the server told its SHA-1, so a chunk doesn't carry the script text.
    static let script = RedisScript(source)

    static let source = """
        if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return {0} end
        local answer = {1}
        local index = 2
        while index <= #ARGV do
          local count = tonumber(ARGV[index])
          local command = {}
          for offset = 1, count do command[offset] = ARGV[index + offset] end
          local result = redis.pcall(unpack(command))
          if type(result) == 'table' and result.err then answer[#answer + 1] = result end
          index = index + count + 1
        end
        return answer
        """

    /// The script's `ARGV` for one chunk: the marker's TTL, then each write command as its argument count and
    /// its arguments.
    static func arguments(for writes: [CounterWrite]) -> [any RedisArgumentConvertible] {
        var arguments: [any RedisArgumentConvertible] = [markerTTLSeconds]
        for write in writes {
            for command in write.commands {
                arguments.append(command.arguments.count)
                for argument in command.arguments { arguments.append(argument) }
            }
        }
        return arguments
    }

    /// The distinct keys the writes change, in order: declared after the marker on a cluster.
    static func writtenKeys(of writes: [CounterWrite]) -> [String] {
        var seen = Set<String>()
        return writes.compactMap { seen.insert($0.key).inserted ? $0.key : nil }
    }
}
