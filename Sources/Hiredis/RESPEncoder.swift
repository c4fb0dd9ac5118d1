/// Writes commands in the Redis protocol's request form (RESP2 arrays of bulk strings).
///
/// Every argument is sent with its length, so any bytes are allowed. Encoding a whole pipeline into one buffer
/// and handing it to hiredis once (`redisAppendFormattedCommand`) saves hiredis' per-command formatting.
enum RESPEncoder {
    /// Appends `*<argc>\r\n` then `$<len>\r\n<bytes>\r\n` for each argument of each command.
    static func encode(_ commands: some Sequence<RedisCommand>, into buffer: inout [UInt8]) {
        for command in commands {
            buffer.append(UInt8(ascii: "*"))
            appendDecimal(command.arguments.count, to: &buffer)
            buffer.append(13)
            buffer.append(10)
            for argument in command.arguments {
                buffer.append(UInt8(ascii: "$"))
                appendDecimal(argument.count, to: &buffer)
                buffer.append(13)
                buffer.append(10)
                buffer.append(contentsOf: argument)
                buffer.append(13)
                buffer.append(10)
            }
        }
    }

    /// An upper bound of the encoded size, to reserve capacity once.
    static func estimatedSize(of commands: some Collection<RedisCommand>) -> Int {
        var size = 0
        for command in commands {
            size += 16
            for argument in command.arguments { size += argument.count + 16 }
        }
        return size
    }

    private static func appendDecimal(_ value: Int, to buffer: inout [UInt8]) {
        let start = buffer.count
        var remaining = value
        repeat {
            buffer.append(UInt8(ascii: "0") + UInt8(remaining % 10))
            remaining /= 10
        } while remaining > 0
        buffer[start...].reverse()
    }
}
