import Foundation
import Hiredis
import TallyTestSupport
import Testing

/// The key prefix an app runs with (`TALLY_KEY_PREFIX`) is every command's too: `--key-prefix`, else
/// `TALLY_KEY_PREFIX`, else the config file's `key_prefix`. Without it the CLI would count, read and ping another
/// set of keys than the app's.
@Suite(
    "tally and a key prefix",
    .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)"))
struct KeyPrefixCLITests {
    let examples = DefinitionFolder.packageRoot.appendingPathComponent("definitions").path

    @Test func trackKeysAndPingUseThePrefix() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        let environment = [
            "TALLY_REDIS_URL": server.url, "TALLY_DEFINITIONS": examples, "TALLY_NOW": "2025-12-29T10:00:00Z",
        ]
        let tracked = try await TallyBinary.run(
            ["track", "create_note", "--user", "42", "--key-prefix", "notes:"], environment: environment)
        #expect(tracked.status == 0, "\(tracked.combined)")
        #expect(tracked.standardOutput.contains("INCR notes:{event_counters}_create_note\n"), "\(tracked.combined)")
        let connection = try await AsyncRedisConnection.connect(configuration: server.configuration())
        #expect(try await connection.send(.get("notes:{event_counters}_create_note")).optionalIntegerString() == 1)
        #expect(try await connection.send(.exists(["{event_counters}_create_note"])).int() == 0, "no unprefixed key")

        let fromEnvironment = try await TallyBinary.run(
            ["track", "create_note", "--user", "43"],
            environment: environment.merging(["TALLY_KEY_PREFIX": "notes:"]) { $1 })
        #expect(fromEnvironment.status == 0, "\(fromEnvironment.combined)")
        #expect(try await connection.send(.get("notes:{event_counters}_create_note")).optionalIntegerString() == 2)

        let keys = try await TallyBinary.run(
            ["keys", "create_note", "--user", "42"],
            environment: environment.merging(["TALLY_KEY_PREFIX": "notes:"]) { $1 })
        #expect(keys.standardOutput.contains("notes:{event_counters}_create_note"), "\(keys.combined)")

        let ping = try await TallyBinary.run(
            ["ping", "--compact", "--key-prefix", "notes:"], environment: environment)
        #expect(ping.status == 0, "\(ping.combined)")
        #expect(ping.standardOutput.contains("\"count_total_create_note\":2"), "\(ping.standardOutput.prefix(2_000))")
        #expect(
            try await connection.send(.exists(["notes:tally:instance:uuid"])).int() == 1,
            "the instance uuid lives under the prefix too")
    }
}
