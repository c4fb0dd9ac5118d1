#if os(Linux)
    import Glibc
    @testable import Hiredis
    import TallyTestSupport
    import Testing

    /// Pipelines that write from the caller's thread and get their replies through the epoll reply loop: writes the
    /// socket can't take at once, replies larger than one read, a server that closes mid-pipeline, and the loop
    /// ending when idle and starting again.
    @Suite(
        "Reply loop",
        .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)"))
    struct ReplyLoopTests {
        let prefix = TestEnvironment.uniqueKeyPrefix("replyloop")

        /// 20 MB of commands: far more than a loopback socket takes at once, so the rest of the write goes out on
        /// the connection's queue while the server already answers. Every reply comes back, in order.
        @Test func aPipelineLargerThanTheSocketBuffer() async throws {
            let server = try await RedisServer.shared()
            let pool = RedisConnectionPool(redis: server.configuration(), configuration: .init(maximumConnections: 1))
            defer { pool.close() }
            let key = prefix + "big-write"
            let value = [UInt8](repeating: UInt8(ascii: "v"), count: 1_000)
            var commands: [RedisCommand] = []
            for index in 0..<20_000 {
                commands.append(RedisCommand("SETRANGE", keys: [key], arguments: [index * 1_000, value]))
            }
            commands.append(.incr(key + ":after"))
            let replies = try await pool.pipeline(commands)
            #expect(replies.count == commands.count)
            #expect(replies.dropLast() == (1...20_000).map { RedisReply.integer(Int64($0) * 1_000) }[...])
            #expect(replies.last == .integer(1))
            #expect(pool.statistics.connectionsDropped == 0)
        }

        /// A 3 MB value read back: its reply spans many reads and many events of the loop.
        @Test func aReplyLargerThanOneRead() async throws {
            let server = try await RedisServer.shared()
            let pool = RedisConnectionPool(redis: server.configuration(), configuration: .init(maximumConnections: 1))
            defer { pool.close() }
            let key = prefix + "big-read"
            let value = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            #expect(try await pool.send(RedisCommand("SET", keys: [key], arguments: [value])) == .status("OK"))
            let replies = try await pool.pipeline([.get(key), .ping, .get(key)])
            #expect(replies == [.bulk(value), .status("PONG"), .bulk(value)])
        }

        /// `QUIT` in the middle of a pipeline: the server answers it, then closes. The call fails with `.eof`,
        /// saying how far it got; the pool drops the connection and the next call opens a new one.
        @Test func aServerClosingMidPipelineIsAnEOF() async throws {
            let server = try await RedisServer.shared()
            let pool = RedisConnectionPool(redis: server.configuration(), configuration: .init(maximumConnections: 1))
            defer { pool.close() }
            #expect(try await pool.send(.ping) == .status("PONG"))
            do {
                _ = try await pool.pipeline([.ping, RedisCommand("QUIT"), .ping])
                Issue.record("a pipeline after QUIT succeeded")
            } catch {
                #expect(error.code == .eof, "\(error)")
                #expect(error.message.contains("after 2 of 3 replies"), "\(error.message)")
            }
            #expect(pool.statistics.connectionsDropped == 1)
            #expect(try await pool.send(.ping) == .status("PONG"))
            #expect(pool.statistics.connectionsOpened == 2)
        }

        /// Redis sockets are close-on-exec: a process the app starts doesn't inherit them (nor keep a connection,
        /// or an epoll registration of its socket, alive after the app closed it).
        @Test func socketsAreCloseOnExec() async throws {
            let configuration = try await RedisServer.shared().configuration()
            let flags = try await TestEnvironment.onOwnThread {
                let connection = try RedisConnection(configuration: configuration)
                return withExtendedLifetime(connection) { fcntl(connection.socketDescriptor, F_GETFD) }
            }
            #expect(flags >= 0 && flags & FD_CLOEXEC != 0, "descriptor flags \(flags)")
        }

        /// A call with a short timeout registered while the loop sleeps until a longer one's deadline wakes the
        /// loop: on a stopped server it fails with `.timeout` while the long call still waits, and the long call gets
        /// its reply once the server runs again. (Without the wake-up the short call would wait out the long one.)
        @Test func aShortDeadlineWakesALoopSleepingForALongOne() async throws {
            let server = try await RedisServer.start()
            defer { server.stop() }
            let loop = RedisReplyLoop()
            let configuration = server.configuration()
            let (patient, hasty) = try await TestEnvironment.onOwnThread {
                (
                    RedisConnection.Handoff(connection: try RedisConnection(configuration: configuration)),
                    RedisConnection.Handoff(connection: try RedisConnection(configuration: configuration))
                )
            }
            server.pause()
            #expect(try patient.connection.sendWithoutWaiting([.ping]))
            let long = Task {
                await loop.replies(from: patient.connection, expected: 1, deadline: .now + .seconds(120))
            }
            #expect(await TestEnvironment.waitUntil { loop.waitingCalls == 1 }, "the long call registers")
            #expect(try hasty.connection.sendWithoutWaiting([.ping]))
            let short = await loop.replies(from: hasty.connection, expected: 1, deadline: .now + .milliseconds(300))
            if case .failure(let error) = short {
                #expect(error.code == .timeout, "\(error)")
            } else {
                Issue.record("a stopped server answered")
            }
            #expect(hasty.connection.isBroken)
            #expect(loop.waitingCalls == 1, "the long call still waits")
            server.resume()
            #expect(try await long.value.get() == [.status("PONG")])
        }

        /// A loop of the test's own (not the shared one, which other suites keep busy): it runs while a reply is
        /// owed, ends once idle for its linger, and a later call starts it again.
        @Test func theLoopEndsWhenIdleAndStartsAgain() async throws {
            let server = try await RedisServer.shared()
            let loop = RedisReplyLoop()
            #expect(!loop.isRunning, "nothing starts before the first call")
            let configuration = server.configuration()
            let key = prefix + "loop"
            for round in 1...2 {
                let handoff = try await TestEnvironment.onOwnThread {
                    RedisConnection.Handoff(connection: try RedisConnection(configuration: configuration))
                }
                #expect(try handoff.connection.sendWithoutWaiting([.incr(key), .incr(key)]))
                let replies = try await loop.replies(
                    from: handoff.connection, expected: 2, deadline: .now + .seconds(60)
                ).get()
                #expect(replies == [.integer(Int64(round * 2 - 1)), .integer(Int64(round * 2))])
                #expect(await TestEnvironment.waitUntil { !loop.isRunning }, "the loop ends once nothing is owed")
            }
        }
    }
#endif
