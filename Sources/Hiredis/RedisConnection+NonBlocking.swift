#if os(Linux)
    import CHiredis
    import Glibc

    /// The two halves of a pipeline that never wait: the caller's thread sends, `RedisReplyLoop` receives.
    ///
    /// Both keep to one thread at a time as the rest of the connection does: the pool hands the connection to the
    /// sending caller, then to the reply loop, then back, each hand-off ordered by a lock or a continuation.
    extension RedisConnection {
        /// The socket the connection reads and writes.
        var socketDescriptor: Int32 { context.pointee.fd }

        /// Encodes the commands and sends as much of them as the socket takes right now, without waiting.
        ///
        /// Returns `true` when everything went out; otherwise the rest waits in hiredis' output buffer, for
        /// `flush(commands:until:)` on a thread that may block.
        /// - Throws: `.io` when the socket refuses the write; the connection is then broken.
        func sendWithoutWaiting(_ commands: [RedisCommand]) throws(RedisError) -> Bool {
            try ensureUsable()
            let buffer = RESPEncoder.encode(commands)
            let descriptor = socketDescriptor
            let outcome = buffer.withUnsafeBufferPointer { bytes -> (sent: Int, errno: Int32) in
                let sent = tally_send_nonblocking(descriptor, bytes.baseAddress, UInt(bytes.count))
                guard sent >= 0, sent < bytes.count else { return (sent, sent < 0 ? tally_errno() : 0) }
                // hiredis copies what is left into its output buffer.
                let rest = UnsafeBufferPointer(rebasing: bytes[sent...])
                let status = rest.withMemoryRebound(to: CChar.self) { characters in
                    redisAppendFormattedCommand(context, characters.baseAddress, characters.count)
                }
                return (sent, status == REDIS_OK ? 0 : ENOMEM)
            }
            if outcome.sent < 0 || outcome.errno != 0 {
                isBroken = true
                let text = String(cString: strerror(outcome.errno))
                let code: RedisError.Code = outcome.errno == ENOMEM ? .outOfMemory : .io
                throw RedisError(code: code, message: "\(text) (sending \(commands.count) command(s))")
            }
            return outcome.sent == buffer.count
        }

        /// Parses the replies already received and reads what the socket holds right now, without waiting, until
        /// `replies` holds `expected` replies; returns whether it does.
        ///
        /// `scratch` is the buffer each read fills; the bytes are handed to hiredis' reader at once.
        /// - Throws: `.eof` when the server closed the connection, `.io`, `.protocolError`, `.outOfMemory`; the
        ///   connection is then broken.
        func receiveWithoutWaiting(
            into replies: inout [RedisReply], expected: Int, scratch: UnsafeMutableRawBufferPointer
        ) throws(RedisError) -> Bool {
            func action() -> String { Self.readingReply(answered: replies.count, of: expected) }
            while true {
                while replies.count < expected {
                    var raw: UnsafeMutableRawPointer?
                    if redisGetReplyFromReader(context, &raw) != REDIS_OK {
                        throw takeContextError(errno: tally_errno(), whileDoing: action())
                    }
                    guard let raw else { break }
                    replies.append(take(raw))
                }
                if replies.count == expected { return true }
                let received = tally_receive_nonblocking(socketDescriptor, scratch.baseAddress, UInt(scratch.count))
                switch received {
                case -2:
                    return false
                case 0:
                    isBroken = true
                    throw RedisError(code: .eof, message: "Server closed the connection (\(action()))")
                case ..<0:
                    isBroken = true
                    let text = String(cString: strerror(tally_errno()))
                    throw RedisError(code: .io, message: "\(text) (\(action()))")
                default:
                    let characters = scratch.baseAddress?.assumingMemoryBound(to: CChar.self)
                    if redisReaderFeed(context.pointee.reader, characters, received) != REDIS_OK {
                        isBroken = true
                        let reader = context.pointee.reader!
                        let code: RedisError.Code = reader.pointee.err == REDIS_ERR_OOM ? .outOfMemory : .protocolError
                        throw RedisError(
                            code: code, message: "\(String(cString: tally_redis_reader_errstr(reader))) (\(action()))")
                    }
                }
            }
        }

        /// Marks the connection broken after its call ran out of time while waiting for replies.
        func expire(after received: Int, of expected: Int) -> RedisError {
            timeoutPassed(while: Self.readingReply(answered: received, of: expected))
        }

        /// A connection passed between the threads that take turns with it: its pool's caller, its queue, the
        /// reply loop.
        ///
        /// `@unchecked Sendable` is safe because only one of them uses the connection at a time: each hands it on
        /// through a lock, a Dispatch queue or a continuation, which order the uses.
        struct Handoff: @unchecked Sendable {
            let connection: RedisConnection
        }
    }
#endif
