/// One reply of a Redis server, copied out of hiredis into Swift values (RESP2).
///
/// A reply owns its bytes: nothing in it points into hiredis memory.
public enum RedisReply: Sendable, Hashable {
    /// `$-1` or `*-1`: a missing key, an aborted transaction.
    case null
    /// `:<n>`.
    case integer(Int64)
    /// `+<text>`, for example `OK` or `QUEUED`.
    case status(String)
    /// `-<text>`: the server refused this command. In a pipeline it is that command's value and does not
    /// affect the others. Ask `serverError` what kind of refusal it is rather than matching the text.
    case error(String)
    /// `$<n>`: a binary-safe bulk string.
    case bulk([UInt8])
    /// `*<n>`: an array, possibly nested.
    case array([RedisReply])

    /// The RESP2 type name, used in error messages.
    public var typeName: String {
        switch self {
        case .null: "nil"
        case .integer: "integer"
        case .status: "status"
        case .error: "error"
        case .bulk: "bulk string"
        case .array: "array"
        }
    }
}

extension RedisReply: CustomStringConvertible {
    /// A `redis-cli`-like rendering, for logs and the CLI.
    public var description: String {
        switch self {
        case .null: "(nil)"
        case .integer(let value): "(integer) \(value)"
        case .status(let text): text
        case .error(let text): "(error) \(text)"
        case .bulk(let bytes): "\"\(String(decoding: bytes, as: UTF8.self))\""
        case .array(let elements):
            elements.isEmpty
                ? "(empty array)"
                : elements.enumerated().map { "\($0.offset + 1)) \($0.element)" }.joined(separator: "\n")
        }
    }
}
