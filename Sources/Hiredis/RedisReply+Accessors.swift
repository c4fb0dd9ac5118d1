extension RedisReply {
    /// Whether the reply is `nil`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// Whether the server answered with an error.
    public var isError: Bool {
        if case .error = self { return true }
        return false
    }

    /// The integer of an integer reply.
    ///
    /// This and the other accessors throw an error reply's classified error (`RedisReply.serverError`, its message
    /// saying what was expected) and `.unexpectedReply` for a reply of any other type.
    public func int() throws(RedisError) -> Int64 {
        switch self {
        case .integer(let value): return value
        default: throw mismatch(expected: "integer")
        }
    }

    /// The bytes of a bulk string reply.
    public func bytes() throws(RedisError) -> [UInt8] {
        switch self {
        case .bulk(let bytes): return bytes
        default: throw mismatch(expected: "bulk string")
        }
    }

    /// The bytes of a bulk string reply, or `nil` for a nil reply (`GET` of a missing key).
    public func optionalBytes() throws(RedisError) -> [UInt8]? {
        switch self {
        case .null: return nil
        case .bulk(let bytes): return bytes
        default: throw mismatch(expected: "bulk string or nil")
        }
    }

    /// The text of a status or bulk string reply, decoded as UTF-8 (invalid bytes become U+FFFD).
    public func string() throws(RedisError) -> String {
        switch self {
        case .status(let text): return text
        case .bulk(let bytes): return String(decoding: bytes, as: UTF8.self)
        default: throw mismatch(expected: "status or bulk string")
        }
    }

    /// The text of a status or bulk string reply, or `nil` for a nil reply.
    public func optionalString() throws(RedisError) -> String? {
        if isNull { return nil }
        return try string()
    }

    /// The elements of an array reply.
    public func array() throws(RedisError) -> [RedisReply] {
        switch self {
        case .array(let elements): return elements
        default: throw mismatch(expected: "array")
        }
    }

    /// A bulk string holding a decimal integer (as `GET` returns counters), or `nil` for a nil reply.
    public func optionalIntegerString() throws(RedisError) -> Int64? {
        guard let text = try optionalString() else { return nil }
        guard let value = Int64(text) else {
            throw RedisError(code: .unexpectedReply, message: "expected a decimal integer, got \"\(text.prefix(64))\"")
        }
        return value
    }

    /// The reply itself, or, for an error reply, its classified error thrown (`.serverError`, `.wrongType`,
    /// `.readOnly`, …; see `RedisError.init(serverReply:)`).
    @discardableResult
    public func checked() throws(RedisError) -> RedisReply {
        if let error = serverError { throw error }
        return self
    }

    private func mismatch(expected: String) -> RedisError {
        if var error = serverError {
            error.message += " (expected \(expected) reply, got error reply)"
            return error
        }
        return RedisError(code: .unexpectedReply, message: "expected \(expected) reply, got \(typeName) reply")
    }
}
