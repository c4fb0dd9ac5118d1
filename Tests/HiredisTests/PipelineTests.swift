import Hiredis
import TallyTestSupport
import Testing

@Suite(
    "Pipelines and transactions",
    .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)"))
struct PipelineTests {
    let connection: AsyncRedisConnection
    let prefix = TestEnvironment.uniqueKeyPrefix("pipeline")

    init() async throws {
        connection = try await AsyncRedisConnection.connect(configuration: await RedisServer.shared().configuration())
    }

    @Test func tenThousandCommandsInOrder() async throws {
        let key = prefix + "counter"
        let replies = try await connection.pipeline(Array(repeating: .incr(key), count: 10_000))
        #expect(replies.count == 10_000)
        #expect(replies == (1...10_000).map { RedisReply.integer(Int64($0)) })
        #expect(try await connection.send(.get(key)).optionalIntegerString() == 10_000)
    }

    @Test func serverErrorInTheMiddleSpoilsNothingElse() async throws {
        let number = prefix + "number"
        let text = prefix + "text"
        _ = try await connection.send(.set(text, "not a number"))
        var commands = Array(repeating: RedisCommand.incr(number), count: 1_001)
        commands[500] = .incr(text)
        let replies = try await connection.pipeline(commands)
        guard case .error(let message) = replies[500] else {
            Issue.record("expected an error at 500, got \(replies[500])")
            return
        }
        #expect(message.contains("not an integer"))
        #expect(replies[..<500].map { try? $0.int() } == (1...500).map { Int64($0) })
        #expect(replies[501...].map { try? $0.int() } == (501...1000).map { Int64($0) })
        #expect(!(await connection.isBroken))
    }

    @Test func emptyPipeline() async throws {
        #expect(try await connection.pipeline([]).isEmpty)
    }

    @Test func transactionReturnsExecResults() async throws {
        let hll = prefix + "hll"
        let time = RedisCommand("TIME")
        let before = Int64(try await connection.send(time).array()[0].string()) ?? 0
        let results = try await connection.transaction([
            .pfadd(hll, ["1", "2", "3"]), .expire(hll, seconds: 3_628_800),
        ])
        let after = Int64(try await connection.send(time).array()[0].string()) ?? 0
        #expect(results == [.integer(1), .integer(1)])
        // EXPIRETIME is absolute, so this holds however long the calls took (+1: it rounds to the nearest second).
        let expiry = try await connection.send(RedisCommand("EXPIRETIME", keys: [hll])).int()
        #expect((before + 3_628_800...after + 3_628_801).contains(expiry))
        #expect(try await connection.send(.pfcount([hll])).int() == 3)
    }

    @Test func transactionWithRuntimeErrorKeepsOtherResults() async throws {
        let text = prefix + "text"
        _ = try await connection.send(.set(text, "abc"))
        let results = try await connection.transaction([.incr(prefix + "ok"), .incr(text), .incr(prefix + "ok")])
        #expect(results.count == 3)
        #expect(results[0] == .integer(1))
        if case .error = results[1] {} else { Issue.record("expected an error for INCR on text, got \(results[1])") }
        #expect(results[2] == .integer(2))
    }

    @Test func transactionRefusedAtQueueTimeThrows() async throws {
        let key = prefix + "never"
        do {
            _ = try await connection.transaction([.incr(key), RedisCommand("NO_SUCH_COMMAND")])
            Issue.record("EXECABORT was not reported")
        } catch {
            // The refused command's error (ERR unknown command), with EXEC's EXECABORT line in the message.
            #expect(error.code == .serverError)
            #expect(error.serverCodeWord == "ERR")
            #expect(error.message.contains("EXECABORT"))
            #expect(error.message.contains("unknown command"))
        }
        #expect(try await connection.send(.get(key)) == .null, "nothing of an aborted transaction may run")
        #expect(try await connection.send(.ping) == .status("PONG"))
    }

    @Test func transactionInsideALargerPipeline() async throws {
        let total = prefix + "total"
        let hll = prefix + "users"
        let replies = try await connection.pipeline([
            .incr(total), .multi, .pfadd(hll, ["42"]), .expire(hll, seconds: 60), .exec, .incr(total),
        ])
        #expect(
            replies == [
                .integer(1), .status("OK"), .status("QUEUED"), .status("QUEUED"), .array([.integer(1), .integer(1)]),
                .integer(2),
            ])
    }
}
