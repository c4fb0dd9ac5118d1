/// The one error type of the `Hiredis` module.
///
/// `code` says what kind of failure it was; `message` carries the underlying text (hiredis' `errstr`, the
/// server's error line, or a description of the mismatch). Codes are an open set: compare with `==` against
/// the static members, don't `switch` exhaustively.
public struct RedisError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure happened.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Base: String, Sendable, Hashable {
            case io = "I/O error"
            case eof = "connection closed by server"
            case protocolError = "protocol error"
            case timeout = "timeout"
            case connectionRefused = "connection refused"
            case serverError = "server error"
            case unexpectedReply = "unexpected reply"
            case poolClosed = "pool closed"
            case poolTimeout = "pool timeout"
            case invalidConfiguration = "invalid configuration"
            case outOfMemory = "out of memory"
        }

        fileprivate let base: Base

        /// A read or write on the socket failed.
        public static let io = Code(base: .io)
        /// The server closed the connection.
        public static let eof = Code(base: .eof)
        /// The bytes from the server are not valid RESP.
        public static let protocolError = Code(base: .protocolError)
        /// Connecting, or waiting for a reply, took longer than the configured timeout.
        public static let timeout = Code(base: .timeout)
        /// Nothing accepts connections at the configured address.
        public static let connectionRefused = Code(base: .connectionRefused)
        /// The server answered a command with an error reply (`-ERR …`, `-WRONGTYPE …`, …).
        public static let serverError = Code(base: .serverError)
        /// A reply had another type than the caller asked for.
        public static let unexpectedReply = Code(base: .unexpectedReply)
        /// The pool was closed before or while the caller waited for a connection.
        public static let poolClosed = Code(base: .poolClosed)
        /// No pooled connection became free within the pool's wait limit.
        public static let poolTimeout = Code(base: .poolTimeout)
        /// A URL or setting could not be used.
        public static let invalidConfiguration = Code(base: .invalidConfiguration)
        /// hiredis could not allocate memory.
        public static let outOfMemory = Code(base: .outOfMemory)

        public var description: String { base.rawValue }
    }

    /// What kind of failure happened.
    public var code: Code
    /// The underlying message.
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// Whether the connection that produced this error can no longer be used.
    ///
    /// hiredis leaves a context unusable after an I/O error, EOF, protocol error or timeout.
    public var breaksConnection: Bool {
        switch code.base {
        case .io, .eof, .protocolError, .timeout, .connectionRefused, .outOfMemory: true
        default: false
        }
    }

    public var description: String { "Redis \(code): \(message)" }
}
