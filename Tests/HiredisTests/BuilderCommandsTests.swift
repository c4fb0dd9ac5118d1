import Hiredis
import TallyTestSupport
import Testing

/// The typed builders against a real server: the options do what they say.
@Suite(
    "Builders against a server",
    .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)"))
struct BuilderCommandsTests {
    let connection: AsyncRedisConnection
    let prefix = TestEnvironment.uniqueKeyPrefix("builders")

    init() async throws {
        connection = try await AsyncRedisConnection.connect(configuration: await RedisServer.shared().configuration())
    }

    @Test func setConditionsAndExpiries() async throws {
        let lock = prefix + "lock"
        #expect(
            try await connection.send(.set(lock, "a", condition: .ifNotExists, expiration: .seconds(60)))
                == .status("OK"))
        #expect(try await connection.send(.set(lock, "b", condition: .ifNotExists, expiration: .seconds(60))) == .null)
        #expect(try await connection.send(.get(lock)) == .bulk(Array("a".utf8)))
        #expect((1...60).contains(try await connection.send(.ttl(lock)).int()))
        #expect(try await connection.send(.set(lock, "c", condition: .ifExists, expiration: .keepTTL)) == .status("OK"))
        #expect(try await connection.send(.get(lock)) == .bulk(Array("c".utf8)))
        #expect((1...60).contains(try await connection.send(.ttl(lock)).int()), "KEEPTTL kept the TTL")
        #expect(try await connection.send(.set(prefix + "absent", "x", condition: .ifExists)) == .null)
        #expect(try await connection.send(.exists([prefix + "absent"])) == .integer(0))
        #expect(try await connection.send(.set(lock, "d", expiration: .milliseconds(90_000))) == .status("OK"))
        #expect((60_001...90_000).contains(try await connection.send(.pttl(lock)).int()))
        #expect(try await connection.send(.set(lock, "e")) == .status("OK"))
        #expect(try await connection.send(.ttl(lock)) == .integer(-1), "a plain SET drops the TTL")
    }

    @Test func expireConditionsAndGetdel() async throws {
        let key = prefix + "key"
        _ = try await connection.send(.set(key, "v"))
        #expect(try await connection.send(.expire(key, seconds: 100, condition: .ifHasTTL)) == .integer(0))
        #expect(try await connection.send(.expireIfUnset(key, seconds: 100)) == .integer(1))
        #expect(try await connection.send(.expireIfUnset(key, seconds: 200)) == .integer(0))
        #expect(try await connection.send(.expire(key, seconds: 50, condition: .ifLonger)) == .integer(0))
        #expect(try await connection.send(.pexpire(key, milliseconds: 500_000, condition: .ifLonger)) == .integer(1))
        #expect(try await connection.send(.pttl(key)).int() > 100_000)
        #expect(try await connection.send(.getdel(key)) == .bulk(Array("v".utf8)))
        #expect(try await connection.send(.getdel(key)) == .null)
        #expect(try await connection.send(.exists([key])) == .integer(0))
    }

    @Test func evalPassesKeysAndArguments() async throws {
        let reply = try await connection.send(
            .eval("return {KEYS[1], ARGV[1], ARGV[2]}", keys: [prefix + "k"], arguments: ["v", 42]))
        #expect(reply == .array([.bulk(Array((prefix + "k").utf8)), .bulk(Array("v".utf8)), .bulk(Array("42".utf8))]))
    }
}
