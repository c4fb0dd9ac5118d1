import CHiredis

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One blocking connection to a Redis server: a `redisContext` of hiredis.
///
/// **Thread safety:** not `Sendable`. A hiredis context must be used by one thread at a time; `RedisConnectionPool`
/// hands a connection to exactly one caller at a time, on that connection's own serial queue.
///
/// **Blocking:** every call blocks the calling thread until the server answers or `commandTimeout` passes; the
/// timeout bounds the whole call (every write and read of a pipeline together), not each read. Never call it from
/// Swift's cooperative thread pool; use `RedisConnectionPool`'s async API there.
///
/// **After an error** that breaks the connection (I/O, EOF, protocol, timeout) `isBroken` is true and every further
/// call throws at once: hiredis leaves such a context unusable. Open a new connection.
public final class RedisConnection {
    /// The settings this connection was opened with.
    public let configuration: RedisConfiguration
    /// Whether an earlier error left the connection unusable.
    public internal(set) var isBroken = false
    /// Root reply objects hiredis handed to this connection, and how many of them were freed.
    ///
    /// Every reply is copied into Swift and its root freed once, before the call returns; tests compare the two
    /// counts to prove no reply is leaked.
    public private(set) var replyAccounting = (received: 0, freed: 0)
    /// The reply loop's epoll set that watches this connection's socket (`RedisReplyLoop`'s generation number; 0:
    /// none). Read and written only under that loop's lock.
    var replyLoopGeneration = 0

    /// Owned: created by `redisConnect*`, freed exactly once in `deinit` with `redisFree`.
    let context: UnsafeMutablePointer<redisContext>

    /// Connects, then sends `AUTH` and `SELECT` as configured (each bounded by `commandTimeout`).
    /// - Throws: `RedisError` `.connectionRefused`, `.timeout`, `.io` when the server can't be reached;
    ///   `.authenticationFailed` when `AUTH` is refused (for any reason: its `serverCodeWord` tells which), the
    ///   classified server error when `SELECT` is.
    public init(configuration: RedisConfiguration) throws(RedisError) {
        self.configuration = configuration
        let connectTimeout = Self.makeTimeval(configuration.connectTimeout)
        let opened: UnsafeMutablePointer<redisContext>?
        switch configuration.endpoint {
        case .tcp(let host, let port):
            opened = redisConnectWithTimeout(host, Int32(port), connectTimeout)
        case .unix(let path):
            opened = redisConnectUnixWithTimeout(path, connectTimeout)
        }
        // hiredis returns NULL only when it cannot allocate the context.
        guard let opened else {
            throw RedisError(code: .outOfMemory, message: "hiredis could not allocate a connection context")
        }
        // A failed connect still returns a context: read its error, then free it.
        if opened.pointee.err != 0 {
            let error = Self.connectError(opened, errno: tally_errno(), endpoint: configuration.endpoint)
            redisFree(opened)
            throw error
        }
        context = opened
        // A child process the app starts must not inherit the socket (and keep the connection open after it closes).
        tally_set_close_on_exec(opened.pointee.fd)
        if let password = configuration.password,
            var refused = try send(.auth(username: configuration.username, password: password)).serverError
        {
            // A refused AUTH is an authentication failure whatever its word: WRONGPASS, but also `ERR AUTH <password>
            // called without any password configured` (the server has none) and older servers' `ERR invalid password`.
            refused.code = .authenticationFailed
            throw refused
        }
        if configuration.database != 0 {
            try send(.select(configuration.database)).checked()
        }
    }

    deinit {
        redisFree(context)
    }

    /// Sends one command and waits for its reply, for at most `commandTimeout` in all.
    ///
    /// A server error reply (`-ERR …`) is returned as `.error`, not thrown; use `checked()` to throw it.
    /// - Throws: `RedisError` when the connection fails, `.timeout` when the reply is not complete within
    ///   `commandTimeout`; the connection is then broken.
    public func send(_ command: RedisCommand) throws(RedisError) -> RedisReply {
        try ensureUsable()
        try append([command])
        // From here on the call waits on the server; formatting the command (local work) is not part of it.
        let deadline = ContinuousClock.now + configuration.commandTimeout
        try flush(commands: 1, until: deadline)
        return try readReply(answered: 0, of: 1, until: deadline)
    }

    /// Sends all commands in one write and reads their replies, in order: one round trip, for at most
    /// `commandTimeout` in all (not per reply).
    ///
    /// A server error in one reply is that reply's value and does not affect the others. `MULTI`/`EXEC` may appear
    /// inside; their replies (`QUEUED`, the `EXEC` array) come back like any other.
    /// - Throws: `RedisError` when the connection fails before every reply arrived, `.timeout` when they are not
    ///   all in within `commandTimeout`; the connection is then broken.
    public func pipeline(_ commands: [RedisCommand]) throws(RedisError) -> [RedisReply] {
        try ensureUsable()
        if commands.isEmpty { return [] }
        try append(commands)
        let deadline = ContinuousClock.now + configuration.commandTimeout
        try flush(commands: commands.count, until: deadline)
        var replies: [RedisReply] = []
        replies.reserveCapacity(commands.count)
        for index in commands.indices {
            replies.append(try readReply(answered: index, of: commands.count, until: deadline))
        }
        return replies
    }

    /// Runs the commands atomically in `MULTI` … `EXEC`, in one round trip (at most `commandTimeout` in all), and
    /// returns `EXEC`'s replies.
    /// - Throws: when the server refused to queue a command (so `EXEC` answered `EXECABORT` and nothing ran), that
    ///   command's classified error (`.readOnly`, `.serverOutOfMemory`, `.serverError`, …, so `isTransient` tells
    ///   whether to retry), with `EXEC`'s line added to the message; `.execAbort` if `EXEC` refused without a
    ///   refused command; `.serverError` when a watched key changed; connection errors as `pipeline(_:)`.
    public func transaction(_ commands: [RedisCommand]) throws(RedisError) -> [RedisReply] {
        try transaction(commands, asking: false)
    }

    /// `transaction(_:)`, with `ASKING` sent first in the same write when `asking` is true: after an `-ASK`
    /// redirect, one `ASKING` before `MULTI` lets the whole transaction use the slot the node is importing.
    func transaction(_ commands: [RedisCommand], asking: Bool) throws(RedisError) -> [RedisReply] {
        let leading: [RedisCommand] = asking ? [.asking, .multi] : [.multi]
        let replies = try pipeline(leading + commands + [.exec])
        for reply in replies.prefix(leading.count) { try reply.checked() }
        switch replies[replies.count - 1] {
        case .array(let results):
            return results
        case .error(let text):
            guard var refused = replies.dropFirst(leading.count).dropLast().lazy.compactMap(\.serverError).first
            else {
                throw RedisError(serverReply: text)
            }
            refused.message += " (\(text))"
            throw refused
        case .null:
            throw RedisError(code: .serverError, message: "transaction aborted: a watched key changed")
        case let other:
            throw RedisError(
                code: .unexpectedReply, message: "expected array reply from EXEC, got \(other.typeName) reply")
        }
    }

    /// Whether an idle connection still looks usable, without a round trip.
    ///
    /// An idle connection owes no replies, so a readable socket means the server closed it (restart, `CLIENT KILL`,
    /// idle timeout) or sent garbage. Either way the connection is marked broken.
    public func checkIdleHealth() -> Bool {
        if isBroken { return false }
        if tally_socket_readable_now(context.pointee.fd) != 0 {
            isBroken = true
        }
        return !isBroken
    }

    // MARK: - hiredis calls

    func ensureUsable() throws(RedisError) {
        if isBroken {
            throw RedisError(code: .io, message: "connection is broken after an earlier error; open a new one")
        }
    }

    /// Encodes the commands as RESP and appends them to hiredis' output buffer in one call.
    func append(_ commands: [RedisCommand]) throws(RedisError) {
        let buffer = RESPEncoder.encode(commands)
        // hiredis copies the bytes into its own output buffer before returning.
        let status = buffer.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { characters in
                redisAppendFormattedCommand(context, characters.baseAddress, characters.count)
            }
        }
        if status != REDIS_OK {
            throw takeContextError(errno: tally_errno(), whileDoing: "queueing \(commands.count) command(s)")
        }
    }

    /// Writes hiredis' output buffer to the socket, blocking until it is all sent or `deadline` passes.
    ///
    /// What `redisGetReply` does before its first read, with each write's wait limited to the time left.
    func flush(commands count: Int, until deadline: ContinuousClock.Instant) throws(RedisError) {
        var done: Int32 = 0
        repeat {
            try limitNextWait(SO_SNDTIMEO, until: deadline) { "sending \(count) command(s)" }
            // One write(2) of what is left in the buffer.
            if redisBufferWrite(context, &done) != REDIS_OK {
                throw takeContextError(errno: tally_errno(), whileDoing: "sending \(count) command(s)")
            }
        } while done == 0
    }

    /// Reads the next reply, blocking until a whole reply is parsed or `deadline` passes.
    ///
    /// `redisGetReply`'s read loop, with each read's wait limited to the time left: a server that sends a reply one
    /// byte at a time can't stretch the call past the deadline.
    private func readReply(
        answered: Int, of total: Int, until deadline: ContinuousClock.Instant
    ) throws(RedisError) -> RedisReply {
        func action() -> String { Self.readingReply(answered: answered, of: total) }
        while true {
            var raw: UnsafeMutableRawPointer?
            // A whole reply may already be in hiredis' input buffer (a pipeline's replies arrive together).
            if redisGetReplyFromReader(context, &raw) != REDIS_OK {
                throw takeContextError(errno: tally_errno(), whileDoing: action())
            }
            if let raw { return take(raw) }
            try limitNextWait(SO_RCVTIMEO, until: deadline, action)
            // One read(2): returns when some bytes arrived, the server closed, or the time left passed (EAGAIN).
            if redisBufferRead(context) != REDIS_OK {
                throw takeContextError(errno: tally_errno(), whileDoing: action())
            }
        }
    }

    /// Copies a root reply hiredis handed over into Swift, then frees it.
    ///
    /// Ownership: the root reply owns all nested replies; copy everything out, then free the root once.
    func take(_ raw: UnsafeMutableRawPointer) -> RedisReply {
        let reply = Self.copy(raw.assumingMemoryBound(to: redisReply.self))
        replyAccounting.received += 1
        freeReplyObject(raw)
        replyAccounting.freed += 1
        return reply
    }

    /// Copies a hiredis reply tree into Swift values. Does not free anything.
    static func copy(_ reply: UnsafePointer<redisReply>) -> RedisReply {
        let node = reply.pointee
        switch node.type {
        case REDIS_REPLY_INTEGER:
            return .integer(Int64(node.integer))
        case REDIS_REPLY_NIL:
            return .null
        case REDIS_REPLY_STRING:
            return .bulk(bytes(node.str, node.len))
        case REDIS_REPLY_STATUS:
            return .status(String(decoding: bytes(node.str, node.len), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            return .error(String(decoding: bytes(node.str, node.len), as: UTF8.self))
        case REDIS_REPLY_ARRAY:
            var elements: [RedisReply] = []
            elements.reserveCapacity(node.elements)
            for index in 0..<node.elements {
                if let element = node.element[index] {
                    elements.append(copy(element))
                } else {
                    elements.append(.null)
                }
            }
            return .array(elements)
        default:
            return .error("unknown hiredis reply type \(node.type)")
        }
    }

    private static func bytes(_ pointer: UnsafeMutablePointer<CChar>?, _ length: Int) -> [UInt8] {
        guard let pointer, length > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: length))
    }

    /// What a call was doing when it failed, for error messages: "reading a reply after 3 of 10 replies".
    static func readingReply(answered: Int, of total: Int) -> String {
        "reading a reply" + (total > 1 ? " after \(answered) of \(total) replies" : "")
    }

    /// Marks the connection broken because its call's `commandTimeout` passed while it was doing `action`.
    func timeoutPassed(while action: String) -> RedisError {
        isBroken = true
        return RedisError(
            code: .timeout, message: "the command timeout of \(configuration.commandTimeout) passed (\(action))")
    }

    /// Sets the socket's send or receive timeout (`SO_SNDTIMEO` / `SO_RCVTIMEO`) to the time left before
    /// `deadline`, so the next blocking write or read returns by then.
    /// - Throws: `.timeout` when no time is left, `.io` when the option can't be set; the connection is then broken.
    private func limitNextWait(
        _ option: Int32, until deadline: ContinuousClock.Instant, _ action: () -> String
    ) throws(RedisError) {
        let remaining = deadline - ContinuousClock.now
        // A socket timeout of zero means "wait forever": under a microsecond left counts as none.
        guard remaining >= .microseconds(1) else { throw timeoutPassed(while: action()) }
        var limit = Self.makeTimeval(remaining)
        if setsockopt(context.pointee.fd, SOL_SOCKET, option, &limit, socklen_t(MemoryLayout<timeval>.size)) != 0 {
            let text = String(cString: strerror(tally_errno()))
            isBroken = true
            throw RedisError(code: .io, message: "setting the socket timeout failed: \(text) (\(action()))")
        }
    }

    /// Turns the context's error into a `RedisError` and marks the connection broken when hiredis does.
    func takeContextError(errno savedErrno: Int32, whileDoing action: String) -> RedisError {
        let error = Self.classify(
            err: context.pointee.err, errno: savedErrno,
            text: String(cString: tally_redis_context_errstr(context)), action: action)
        if error.breaksConnection { isBroken = true }
        return error
    }

    private static func connectError(
        _ context: UnsafeMutablePointer<redisContext>, errno savedErrno: Int32, endpoint: RedisConfiguration.Endpoint
    ) -> RedisError {
        let target: String
        switch endpoint {
        case .tcp(let host, let port): target = "\(host):\(port)"
        case .unix(let path): target = path
        }
        let error = classify(
            err: context.pointee.err, errno: savedErrno,
            text: String(cString: tally_redis_context_errstr(context)), action: "connecting to \(target)")
        if error.code == .io && (savedErrno == ECONNREFUSED || savedErrno == ENOENT) {
            return RedisError(code: .connectionRefused, message: error.message)
        }
        return error
    }

    private static func classify(err: Int32, errno savedErrno: Int32, text: String, action: String) -> RedisError {
        let message = "\(text) (\(action))"
        switch err {
        case REDIS_ERR_IO:
            if savedErrno == EAGAIN || savedErrno == EWOULDBLOCK || savedErrno == ETIMEDOUT || savedErrno == EINPROGRESS
            {
                return RedisError(code: .timeout, message: message)
            }
            if savedErrno == ECONNREFUSED {
                return RedisError(code: .connectionRefused, message: message)
            }
            return RedisError(code: .io, message: message)
        case REDIS_ERR_EOF:
            return RedisError(code: .eof, message: message)
        case REDIS_ERR_PROTOCOL:
            return RedisError(code: .protocolError, message: message)
        case REDIS_ERR_OOM:
            return RedisError(code: .outOfMemory, message: message)
        default:
            return RedisError(code: .io, message: message)
        }
    }

    private static func makeTimeval(_ duration: Duration) -> timeval {
        let (seconds, attoseconds) = duration.components
        let clampedSeconds = max(0, seconds)
        return timeval(tv_sec: .init(clampedSeconds), tv_usec: .init(attoseconds / 1_000_000_000_000))
    }
}

@available(*, unavailable, message: "a hiredis context must be used by one thread at a time; use RedisConnectionPool")
extension RedisConnection: Sendable {}
