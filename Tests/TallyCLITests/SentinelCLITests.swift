import Foundation
import TallyTestSupport
import Testing

/// The `tally` binary with a master behind Sentinel, given as `redis+sentinel://`.
@Suite(
    "tally CLI behind Sentinel",
    .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)"))
struct SentinelCLITests {
    @Test func doctorTrackAndPingFindTheMaster() async throws {
        let group = try await RedisSentinelGroup.start()
        defer { group.stop() }
        let examples = DefinitionFolder.packageRoot.appendingPathComponent("definitions").path
        let environment = ["TALLY_REDIS_URL": group.url, "TALLY_DEFINITIONS": examples]
        let doctor = try await TallyBinary.run(["doctor"], environment: environment)
        #expect(doctor.status == 0, "\(doctor.combined)")
        #expect(
            doctor.standardOutput.contains(
                "[ok]      redis: Sentinel at \(group.url) (from TALLY_REDIS_URL) names 127.0.0.1:\(group.servers[0].port) master \"tallymaster\""
            ), "\(doctor.combined)")
        #expect(
            doctor.standardOutput.contains("redis: connected to redis://127.0.0.1:\(group.servers[0].port)"),
            "the server checks run on the master: \(doctor.combined)")
        for user in ["1", "2"] {
            let tracked = try await TallyBinary.run(
                ["track", "create_note", "--user", user, "--at", "2025-02-12T10:00:00Z"], environment: environment)
            #expect(tracked.status == 0, "\(tracked.combined)")
        }
        let ping = try await TallyBinary.run(
            ["ping", "--at", "2025-02-20T10:00:00Z", "--compact"], environment: environment)
        #expect(ping.status == 0, "\(ping.combined)")
        #expect(ping.standardOutput.contains(#""count_total_create_note":2"#), "\(ping.combined)")

        let unknown = try await TallyBinary.run(
            ["doctor"], environment: ["TALLY_REDIS_URL": group.url.replacingOccurrences(of: "tallymaster", with: "x")])
        #expect(unknown.status == 1)
        #expect(unknown.standardOutput.contains("monitors no master named \"x\""), "\(unknown.combined)")
    }
}
