import CHiredis

/// Parses RESP2 bytes into replies with hiredis' own reader, the parser every connection uses: for tools, tests
/// and fuzzing the reply path without a server.
///
/// Feed bytes as they arrive, then take whole replies with `next()`. After a protocol error the parser is dead,
/// as hiredis' reader is: every later call throws the same error. Not `Sendable`: one thread at a time.
public final class RedisReplyParser {
    private let reader: UnsafeMutablePointer<redisReader>
    private var failure: RedisError?

    public init() {
        guard let reader = redisReaderCreate() else {
            fatalError("hiredis could not allocate a reply reader (out of memory)")
        }
        self.reader = reader
    }

    deinit {
        redisReaderFree(reader)
    }

    /// Appends bytes to the reader's buffer.
    /// - Throws: `RedisError` `.protocolError` when the parser already failed, `.outOfMemory` when hiredis did.
    public func feed(_ bytes: [UInt8]) throws(RedisError) {
        if let failure { throw failure }
        let status = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { redisReaderFeed(reader, $0.baseAddress, $0.count) }
        }
        if status != REDIS_OK { throw fail() }
    }

    /// The next whole reply, or `nil` when the bytes so far don't complete one.
    /// - Throws: `RedisError` `.protocolError` for bytes that are not RESP2 (and on every call after that).
    public func next() throws(RedisError) -> RedisReply? {
        if let failure { throw failure }
        var raw: UnsafeMutableRawPointer?
        if redisReaderGetReply(reader, &raw) != REDIS_OK { throw fail() }
        guard let raw else { return nil }
        let reply = RedisConnection.copy(raw.assumingMemoryBound(to: redisReply.self))
        freeReplyObject(raw)
        return reply
    }

    private func fail() -> RedisError {
        let code: RedisError.Code = reader.pointee.err == REDIS_ERR_OOM ? .outOfMemory : .protocolError
        let error = RedisError(code: code, message: String(cString: tally_redis_reader_errstr(reader)))
        failure = error
        return error
    }
}

@available(*, unavailable, message: "a hiredis reader must be used by one thread at a time")
extension RedisReplyParser: Sendable {}
