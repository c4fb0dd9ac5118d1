/// A value that can be sent as one argument of a Redis command.
///
/// Arguments are sent with their length (hiredis' argv API), so any bytes are allowed, including `\r\n` and `\0`.
public protocol RedisArgumentConvertible: Sendable {
    /// The bytes sent to the server.
    var redisArgument: [UInt8] { get }
}

extension String: RedisArgumentConvertible {
    public var redisArgument: [UInt8] { Array(utf8) }
}

extension Substring: RedisArgumentConvertible {
    public var redisArgument: [UInt8] { Array(utf8) }
}

extension Array: RedisArgumentConvertible where Element == UInt8 {
    public var redisArgument: [UInt8] { self }
}

extension Int: RedisArgumentConvertible {
    public var redisArgument: [UInt8] { Array(String(self).utf8) }
}

extension Int64: RedisArgumentConvertible {
    public var redisArgument: [UInt8] { Array(String(self).utf8) }
}

extension Double: RedisArgumentConvertible {
    /// Sent in Swift's shortest round-trip decimal form, which Redis' float commands accept.
    public var redisArgument: [UInt8] { Array(String(self).utf8) }
}
