/// The one error type of the `Hiredis` module.
///
/// `code` says what kind of failure it was; `message` carries the underlying text (hiredis' `errstr`, the
/// server's whole error line, or a description of the mismatch). Codes are an open set: compare with `==` against
/// the static members, don't `switch` exhaustively.
///
/// A server's error reply is classified once, by `init(serverReply:)`, from the first word of its line
/// (`WRONGTYPE`, `READONLY`, …): ask `code`, `isServerError` or `isTransient`, never the message text.
public struct RedisError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure happened.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Base: String, Sendable, Hashable {
            case io = "I/O error"
            case eof = "connection closed by server"
            case protocolError = "protocol error"
            case timeout = "timeout"
            case connectionRefused = "connection refused"
            case unexpectedReply = "unexpected reply"
            case poolClosed = "pool closed"
            case poolTimeout = "pool timeout"
            case cancelled = "cancelled"
            case invalidConfiguration = "invalid configuration"
            case outOfMemory = "out of memory"
            case tooManyRedirects = "too many cluster redirects"
            // The server's error replies, by the first word of the line.
            case serverError = "server error"
            case wrongType = "wrong type"
            case readOnly = "read-only replica"
            case serverOutOfMemory = "server out of memory"
            case loading = "server loading"
            case busy = "server busy"
            case persistenceFailure = "server cannot persist"
            case noScript = "no such script"
            case authenticationFailed = "authentication failed"
            case noPermission = "no permission"
            case execAbort = "transaction discarded"
            case masterDown = "master down"
            case noReplicas = "not enough replicas"
            case tryAgain = "try again"
            case clusterDown = "cluster down"
            case moved = "moved"
            case ask = "ask redirection"
            case crossSlot = "keys in different slots"
        }

        let base: Base

        /// A read or write on the socket failed.
        public static let io = Code(base: .io)
        /// The server closed the connection.
        public static let eof = Code(base: .eof)
        /// The bytes from the server are not valid RESP.
        public static let protocolError = Code(base: .protocolError)
        /// Connecting took longer than `connectTimeout`, or a call (`send`, `pipeline`, `transaction`) took longer
        /// than `commandTimeout` in total.
        public static let timeout = Code(base: .timeout)
        /// Nothing accepts connections at the configured address.
        public static let connectionRefused = Code(base: .connectionRefused)
        /// A reply had another type than the caller asked for.
        public static let unexpectedReply = Code(base: .unexpectedReply)
        /// The pool was closed before or while the caller waited for a connection.
        public static let poolClosed = Code(base: .poolClosed)
        /// No pooled connection became free within the pool's wait limit.
        public static let poolTimeout = Code(base: .poolTimeout)
        /// The calling task was cancelled while it waited for a pooled connection (or before it asked for one).
        public static let cancelled = Code(base: .cancelled)
        /// A URL or setting could not be used.
        public static let invalidConfiguration = Code(base: .invalidConfiguration)
        /// hiredis (this process) could not allocate memory. The server's `-OOM` is `serverOutOfMemory`.
        public static let outOfMemory = Code(base: .outOfMemory)
        /// A cluster client followed its limit of `-MOVED`/`-ASK` redirects for one command without reaching the
        /// node that serves it (a resharding that doesn't settle, or nodes that disagree).
        public static let tooManyRedirects = Code(base: .tooManyRedirects)

        /// The server refused a command with `-ERR …`, or with a code word that has no code of its own.
        public static let serverError = Code(base: .serverError)
        /// `-WRONGTYPE`: the key holds another kind of value.
        public static let wrongType = Code(base: .wrongType)
        /// `-READONLY`: a write sent to a read-only replica.
        public static let readOnly = Code(base: .readOnly)
        /// `-OOM`: the server is at `maxmemory` and refuses writes. Not to be confused with `outOfMemory` (hiredis').
        public static let serverOutOfMemory = Code(base: .serverOutOfMemory)
        /// `-LOADING`: the server is still loading its dataset from disk.
        public static let loading = Code(base: .loading)
        /// `-BUSY`: a script or function runs too long and blocks the server.
        public static let busy = Code(base: .busy)
        /// `-MISCONF`: the server can't write its snapshot and refuses writes until it can.
        public static let persistenceFailure = Code(base: .persistenceFailure)
        /// `-NOSCRIPT`: `EVALSHA` of a script the server's cache doesn't hold.
        public static let noScript = Code(base: .noScript)
        /// `-NOAUTH` (authentication required) or `-WRONGPASS` (wrong user or password).
        public static let authenticationFailed = Code(base: .authenticationFailed)
        /// `-NOPERM`: the ACL user may not run this command or touch this key.
        public static let noPermission = Code(base: .noPermission)
        /// `-EXECABORT`: `EXEC` discarded a transaction because a command was refused when queued.
        public static let execAbort = Code(base: .execAbort)
        /// `-MASTERDOWN`: a replica lost its primary and `replica-serve-stale-data` is off.
        public static let masterDown = Code(base: .masterDown)
        /// `-NOREPLICAS`: fewer replicas than `min-replicas-to-write` are connected.
        public static let noReplicas = Code(base: .noReplicas)
        /// `-TRYAGAIN`: a cluster slot is being migrated; retry the multi-key command later.
        public static let tryAgain = Code(base: .tryAgain)
        /// `-CLUSTERDOWN`: the cluster can't serve this slot right now.
        public static let clusterDown = Code(base: .clusterDown)
        /// `-MOVED slot host:port`: the slot lives on another cluster node.
        public static let moved = Code(base: .moved)
        /// `-ASK slot host:port`: the slot is being migrated; ask the other node once.
        public static let ask = Code(base: .ask)
        /// `-CROSSSLOT`: a multi-key command's keys hash to different cluster slots.
        public static let crossSlot = Code(base: .crossSlot)

        public var description: String { base.rawValue }
    }

    /// What kind of failure happened.
    public var code: Code
    /// The underlying message. For a server error, the server's whole error line (without RESP's leading `-`).
    public var message: String
    /// The first word of the server's error line (`ERR`, `WRONGTYPE`, `READONLY`, …) when the error is a server
    /// error reply whose line starts with one; `nil` for every other error.
    public var serverCodeWord: String?

    /// An error of the given kind. Use `init(serverReply:)` for a server's error line, so it is classified.
    public init(code: Code, message: String, serverCodeWord: String? = nil) {
        self.code = code
        self.message = message
        self.serverCodeWord = serverCodeWord
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
