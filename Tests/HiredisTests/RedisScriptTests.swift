import Hiredis
import TallyTestSupport
import Testing

/// `RedisScript`: `EVALSHA` once the server told the SHA-1, `EVAL` again after `NOSCRIPT`. A server of its own, so
/// `SCRIPT FLUSH` and the command counters concern this test only.
@Suite(
    "Scripts",
    .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)"))
struct RedisScriptTests {
    @Test func evalOnceThenEvalSHAThenEvalAfterTheCacheWasFlushed() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        let connection = try await AsyncRedisConnection.connect(configuration: server.configuration())
        let script = RedisScript("return {KEYS[1], ARGV[1]}")
        let expected = RedisReply.array([.bulk(Array("k".utf8)), .bulk(Array("v".utf8))])
        #expect(script.sha1 == nil)

        #expect(try await connection.evaluate(script, keys: ["k"], arguments: ["v"]) == expected)
        let sha1 = try await connection.send(.scriptLoad(script.source)).string()
        #expect(script.sha1 == sha1, "the SHA-1 is learned from SCRIPT LOAD's reply")
        #expect(try await calls(of: "eval", on: connection) == 1)

        let copy = script
        #expect(try await connection.evaluate(copy, keys: ["k"], arguments: ["v"]) == expected)
        #expect(try await calls(of: "eval", on: connection) == 1, "a copy shares the learned SHA-1: EVALSHA, not EVAL")
        #expect(try await calls(of: "evalsha", on: connection) == 1)

        try await connection.send(RedisCommand("SCRIPT", arguments: ["FLUSH"])).checked()
        #expect(try await connection.evaluate(script, keys: ["k"], arguments: ["v"]) == expected, "NOSCRIPT → EVAL")
        #expect(try await calls(of: "eval", on: connection) == 2)
        #expect(script.sha1 == sha1)
        let accounting = await connection.replyAccounting
        #expect(accounting.received == accounting.freed)
    }

    @Test func aScriptsErrorIsItsReply() async throws {
        let pool = RedisConnectionPool(redis: try await RedisServer.shared().configuration())
        defer { pool.close() }
        let script = RedisScript("return redis.error_reply('NOPE not today')")
        for _ in 0..<2 {
            let reply = try await pool.evaluate(script)
            #expect(reply.serverError?.serverCodeWord == "NOPE", "\(reply)")
        }
        #expect(script.sha1 != nil)
    }

    /// `calls=` of `cmdstat_<name>` in `INFO commandstats`, 0 if the command never ran.
    private func calls(of command: String, on connection: AsyncRedisConnection) async throws -> Int {
        let info = try await connection.send(.info("commandstats")).string()
        guard let line = info.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("cmdstat_\(command):") })
        else { return 0 }
        let field = line.split(separator: ":", maxSplits: 1)[1].split(separator: ",").first { $0.hasPrefix("calls=") }
        return Int(field?.dropFirst("calls=".count) ?? "") ?? -1
    }
}
