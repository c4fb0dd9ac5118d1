import Hiredis
import TallyTestSupport
import Testing

/// Every RESP2 reply type, read from a real server, and every reply freed.
@Suite(
    "Replies", .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)")
)
struct ReplyTests {
    let connection: AsyncRedisConnection
    let prefix = TestEnvironment.uniqueKeyPrefix("replies")

    init() async throws {
        connection = try await AsyncRedisConnection.connect(configuration: await RedisServer.shared().configuration())
    }

    @Test func integerStatusAndError() async throws {
        #expect(try await connection.send(.incr(prefix + "n")) == .integer(1))
        #expect(try await connection.send(.incrBy(prefix + "n", -5)) == .integer(-4))
        #expect(try await connection.send(.set(prefix + "s", "v")) == .status("OK"))
        let error = try await connection.send(RedisCommand("NO_SUCH_COMMAND"))
        guard case .error(let text) = error else {
            Issue.record("expected an error reply, got \(error)")
            return
        }
        #expect(text.hasPrefix("ERR unknown command"))
        #expect(!(await connection.isBroken), "a server error must not break the connection")
        #expect(try await connection.send(.ping) == .status("PONG"))
    }

    @Test func bulkEmptyAndNil() async throws {
        _ = try await connection.send(.set(prefix + "full", "hello"))
        _ = try await connection.send(.set(prefix + "empty", ""))
        #expect(try await connection.send(.get(prefix + "full")) == .bulk(Array("hello".utf8)))
        #expect(try await connection.send(.get(prefix + "empty")) == .bulk([]))
        #expect(try await connection.send(.get(prefix + "missing")) == .null)
        #expect(try await connection.send(.get(prefix + "missing")).optionalBytes() == nil)
        #expect(try await connection.send(.get(prefix + "empty")).optionalBytes() == [])
    }

    @Test func binarySafeKeysAndValues() async throws {
        let key = Array((prefix + "bin\r\n\0key").utf8)
        let value: [UInt8] = Array(0...255) + [13, 10, 0, 13, 10]
        #expect(try await connection.send(.set(key, value)) == .status("OK"))
        #expect(try await connection.send(.get(key)).bytes() == value)
        #expect(try await connection.send(.echo([0, 0, 0])) == .bulk([0, 0, 0]))
        // The key is one key with the CR LF and NUL inside, not a protocol break.
        #expect(try await connection.send(.exists([key])) == .integer(1))
        #expect(try await connection.send(.exists([Array((prefix + "bin").utf8)])) == .integer(0))
    }

    @Test func nestedAndEmptyArrays() async throws {
        let script = "return {1, 'two', {3, {'four', {}}}, {}, false}"
        let reply = try await connection.send(RedisCommand("EVAL", arguments: [script, "0"]))
        #expect(
            reply
                == .array([
                    .integer(1), .bulk(Array("two".utf8)),
                    .array([.integer(3), .array([.bulk(Array("four".utf8)), .array([])])]),
                    .array([]), .null,
                ]))
        #expect(try await connection.send(.mget([prefix + "none1", prefix + "none2"])) == .array([.null, .null]))
    }

    @Test func statusAndErrorInsideArrays() async throws {
        let script = "return {redis.status_reply('FINE'), redis.error_reply('BAD thing')}"
        let reply = try await connection.send(RedisCommand("EVAL", arguments: [script, "0"]))
        #expect(reply == .array([.status("FINE"), .error("BAD thing")]))
    }

    @Test func accessorsNameExpectedAndActualTypes() async throws {
        let bulk = RedisReply.bulk(Array("x".utf8))
        #expect(throws: RedisError(code: .unexpectedReply, message: "expected integer reply, got bulk string reply")) {
            try bulk.int()
        }
        #expect(throws: RedisError(code: .unexpectedReply, message: "expected array reply, got integer reply")) {
            try RedisReply.integer(1).array()
        }
        #expect(throws: RedisError(code: .unexpectedReply, message: "expected bulk string reply, got nil reply")) {
            try RedisReply.null.bytes()
        }
        let error = try await connection.send(RedisCommand("NO_SUCH_COMMAND"))
        do {
            _ = try error.int()
            Issue.record("an error reply was read as an integer")
        } catch {
            #expect(error.code == .serverError)
            #expect(error.message.contains("expected integer reply, got error reply"))
        }
        #expect(try RedisReply.bulk(Array("42".utf8)).optionalIntegerString() == 42)
        #expect(try RedisReply.null.optionalIntegerString() == nil)
        #expect(throws: RedisError.self) { try RedisReply.bulk(Array("4x".utf8)).optionalIntegerString() }
    }

    @Test func everyReplyIsFreedOnce() async throws {
        let before = await connection.replyAccounting
        for index in 0..<100 {
            _ = try await connection.send(.incr(prefix + "count"))
            _ = try await connection.send(RedisCommand("EVAL", arguments: ["return {1, {2, {3}}, 'x'}", "0"]))
            _ = try await connection.send(RedisCommand("NO_SUCH_COMMAND\(index)"))
        }
        _ = try await connection.pipeline(Array(repeating: .get(prefix + "count"), count: 500))
        let after = await connection.replyAccounting
        #expect(after.received - before.received == 800)
        #expect(after.freed - before.freed == 800)
        #expect(after.received == after.freed)
    }
}
