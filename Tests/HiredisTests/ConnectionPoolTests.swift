import Dispatch
import Foundation
import Hiredis
import TallyTestSupport
import Testing

@Suite(
    "Connection pool",
    .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)"))
struct ConnectionPoolTests {
    @Test func sixteenTasksExactResults() async throws {
        let server = try await RedisServer.shared()
        // A generous wait: under ThreadSanitizer with the whole suite on 2 cores a task can wait tens of seconds for
        // a thread, and the wait limit is not what this test checks.
        let pool = RedisConnectionPool(
            redis: server.configuration(), configuration: .init(maximumConnections: 4, waitTimeout: .seconds(180)))
        defer { pool.close() }
        let key = TestEnvironment.uniqueKeyPrefix("pool") + "counter"
        let perTask = 1_000
        let seen = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for task in 0..<16 {
                group.addTask {
                    var values: [Int64] = []
                    for round in 0..<(perTask / 100) {
                        // Mix single commands and pipelines.
                        if (task + round) % 2 == 0 {
                            for _ in 0..<100 { values.append(try await pool.send(.incr(key)).int()) }
                        } else {
                            for reply in try await pool.pipeline(Array(repeating: .incr(key), count: 100)) {
                                values.append(try reply.int())
                            }
                        }
                    }
                    return values
                }
            }
            return try await group.reduce(into: [Int64]()) { $0 += $1 }
        }
        #expect(seen.count == 16 * perTask)
        #expect(Set(seen) == Set((1...Int64(16 * perTask))), "every INCR reply must be unique and none lost")
        #expect(try await pool.send(.get(key)).optionalIntegerString() == Int64(16 * perTask))
        let statistics = pool.statistics
        #expect(statistics.slots <= 4)
        #expect(statistics.connectionsOpened <= 4)
        #expect(statistics.connectionsDropped == 0)
    }

    @Test func reconnectsAfterServerRestart() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        let pool = RedisConnectionPool(redis: server.configuration(), configuration: .init(maximumConnections: 1))
        defer { pool.close() }
        #expect(try await pool.send(.incr("k")) == .integer(1))
        try await server.restart()
        // The idle connection's socket shows the server closed it, so the pool reconnects before sending.
        #expect(try await pool.send(.incr("k")) == .integer(1), "a restarted server starts empty")
        #expect(pool.statistics.connectionsOpened == 2)
        #expect(pool.statistics.connectionsDropped == 1)
    }

    @Test func recoversAfterServerWasDown() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        let pool = RedisConnectionPool(
            redis: server.configuration(commandTimeout: .milliseconds(500)), configuration: .init(maximumConnections: 2)
        )
        defer { pool.close() }
        #expect(try await pool.send(.ping) == .status("PONG"))
        server.pause()
        do {
            _ = try await pool.send(.ping)
            Issue.record("a paused server answered")
        } catch {
            #expect(error.code == .timeout)
        }
        server.resume()
        #expect(try await pool.send(.ping) == .status("PONG"))
        #expect(pool.statistics.connectionsDropped == 1)
    }

    @Test func waitsAreBoundedByThePoolTimeout() async throws {
        let server = try await RedisServer.shared()
        let pool = RedisConnectionPool(
            redis: server.configuration(), configuration: .init(maximumConnections: 1, waitTimeout: .milliseconds(100)))
        defer { pool.close() }
        let holding = Locked(false)
        let release = DispatchSemaphore(value: 0)
        async let held: Void = pool.withConnection { connection throws(RedisError) in
            holding.withLock { $0 = true }
            _ = try connection.send(.ping)
            // Keep the only connection busy until the waiter below has given up, however slow the machine is.
            release.wait()
        }
        #expect(await TestEnvironment.waitUntil { holding.withLock { $0 } }, "the connection was never taken")
        do {
            _ = try await pool.send(.ping)
            Issue.record("got a connection although the only one was busy")
        } catch {
            #expect(error.code == .poolTimeout, "\(error)")
        }
        release.signal()
        try await held
        #expect(try await pool.send(.ping) == .status("PONG"))
    }

    @Test func closedPoolRefuses() async throws {
        let pool = RedisConnectionPool(redis: try await RedisServer.shared().configuration())
        #expect(try await pool.send(.ping) == .status("PONG"))
        pool.close()
        do {
            _ = try await pool.send(.ping)
            Issue.record("a closed pool handed out a connection")
        } catch {
            #expect(error.code == .poolClosed)
        }
    }

    @Test func connectionErrorsReachTheCaller() async throws {
        let server = try await RedisServer.start()
        let configuration = server.configuration()
        await server.stopAndWait()
        let pool = RedisConnectionPool(redis: configuration, configuration: .init(maximumConnections: 1))
        defer { pool.close() }
        for _ in 0..<3 {
            do {
                _ = try await pool.send(.ping)
                Issue.record("a stopped server answered")
            } catch {
                #expect(error.code == .connectionRefused)
            }
        }
        #expect(pool.statistics.slots == 1, "a failed connect must give its slot back")
    }

    @Test func blockingWorkRunsOnTheConnectionsOwnQueue() async throws {
        // hiredis calls block; they must run on the connection's serial queue, not on Swift's cooperative pool.
        let pool = RedisConnectionPool(
            redis: try await RedisServer.shared().configuration(),
            configuration: .init(maximumConnections: 3, waitTimeout: .seconds(180)))  // as in sixteenTasksExactResults
        defer { pool.close() }
        let numbers = Locked<[Int?]>([])
        #expect(RedisConnectionPool.currentConnectionNumber == nil, "the test itself runs on the cooperative pool")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<12 {
                group.addTask {
                    try await pool.withConnection { connection throws(RedisError) in
                        _ = try connection.send(.ping)
                        let number = RedisConnectionPool.currentConnectionNumber
                        numbers.withLock { $0.append(number) }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(numbers.value.count == 12)
        #expect(numbers.value.allSatisfy { $0 != nil }, "\(numbers.value)")
        #expect(Set(numbers.value.compactMap { $0 }).isSubset(of: [1, 2, 3]), "one queue per pooled connection")
    }

    @Test func cancellingAWaiterEndsItsWaitAtOnce() async throws {
        // The wait limit is far away: only the cancellation can end the wait below.
        let pool = RedisConnectionPool(
            redis: try await RedisServer.shared().configuration(),
            configuration: .init(maximumConnections: 1, waitTimeout: .seconds(120)))
        defer { pool.close() }
        let holding = Locked(false)
        let release = DispatchSemaphore(value: 0)
        // The body blocks the connection's own queue, not the cooperative pool.
        let holder = Task {
            try await pool.withConnection { connection throws(RedisError) in
                _ = try connection.send(.ping)
                holding.withLock { $0 = true }
                release.wait()
            }
        }
        #expect(await TestEnvironment.waitUntil { holding.value }, "the first caller never got the connection")
        let waiter = Task { await redisError { () async throws(RedisError) in try await pool.send(.ping) } }
        #expect(await TestEnvironment.waitUntil { pool.statistics.waiting == 1 }, "the second caller never waited")
        waiter.cancel()
        let error = await waiter.value
        // Checked while the first caller still holds the only connection: the waiter did not wait for it.
        #expect(error?.code == .cancelled, "\(String(describing: error))")
        #expect(pool.statistics.waiting == 0, "the cancelled waiter's entry is gone")
        release.signal()
        try await holder.value
        #expect(try await pool.send(.ping) == .status("PONG"))
        #expect(pool.statistics.slots == 1)
        #expect(pool.statistics.idle == 1)
    }

    @Test func aCallerCancelledBeforehandGetsNoConnection() async throws {
        let pool = RedisConnectionPool(
            redis: try await RedisServer.shared().configuration(), configuration: .init(maximumConnections: 1))
        defer { pool.close() }
        let attempt = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await redisError { () async throws(RedisError) in try await pool.send(.ping) }
        }
        #expect(await attempt.value?.code == .cancelled)
        #expect(pool.statistics.slots == 0, "no connection is opened for a cancelled caller")
        #expect(try await pool.send(.ping) == .status("PONG"))
    }

    @Test func cancellationsRacingCheckInsLeaveNoWaiterBehind() async throws {
        // Cancellations land before, during and after registration and hand-offs; a continuation resumed twice
        // would trap, one never resumed would hang the group.
        let pool = RedisConnectionPool(
            redis: try await RedisServer.shared().configuration(),
            configuration: .init(maximumConnections: 2, waitTimeout: .seconds(120)))
        defer { pool.close() }
        let outcomes = Locked<[String]>([])
        await withTaskGroup(of: Void.self) { group in
            for round in 0..<20 {
                var tasks: [Task<Void, Never>] = []
                for _ in 0..<10 {
                    let task = Task {
                        let error = await redisError { () async throws(RedisError) in try await pool.send(.ping) }
                        outcomes.withLock { $0.append(error.map { "\($0.code)" } ?? "ok") }
                    }
                    tasks.append(task)
                }
                for (index, task) in tasks.enumerated() where (index + round) % 2 == 0 { task.cancel() }
                for task in tasks { group.addTask { await task.value } }
            }
            await group.waitForAll()
        }
        #expect(outcomes.value.count == 200)
        #expect(Set(outcomes.value).isSubset(of: ["ok", "cancelled"]), "\(Set(outcomes.value))")
        #expect(pool.statistics.waiting == 0)
        #expect(try await pool.send(.ping) == .status("PONG"))
    }

    @Test func aPendingWaitTimerDoesNotKeepThePoolAlive() async throws {
        weak var released: RedisConnectionPool?
        do {
            // A waiter served long before its hour-long wait limit: its timer must neither fire later nor hold
            // the pool.
            let pool = RedisConnectionPool(
                redis: try await RedisServer.shared().configuration(),
                configuration: .init(maximumConnections: 1, waitTimeout: .seconds(3_600)))
            released = pool
            let holding = Locked(false)
            let release = DispatchSemaphore(value: 0)
            let holder = Task {
                try await pool.withConnection { connection throws(RedisError) in
                    _ = try connection.send(.ping)
                    holding.withLock { $0 = true }
                    release.wait()
                }
            }
            #expect(await TestEnvironment.waitUntil { holding.value })
            let waiter = Task { try await pool.send(.ping) }
            #expect(await TestEnvironment.waitUntil { pool.statistics.waiting == 1 })
            release.signal()
            try await holder.value
            #expect(try await waiter.value == .status("PONG"))
            pool.close()
        }
        #expect(await TestEnvironment.waitUntil(limit: .seconds(60)) { released == nil }, "the pool was not freed")
    }
}
