import Foundation
import Hiredis
import TallyTestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `tally serve` as a user runs it: a process on a free port, real HTTP, buffered counters flushed on SIGTERM.
@Suite(
    "tally serve",
    .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)"))
struct ServeCLITests {
    @Test("refuses to start without a token, naming how to give one")
    func needsAToken() async throws {
        let output = try await TallyBinary.run(["serve", "--port", "0"])
        #expect(output.status != 0)
        #expect(output.standardError.contains("TALLY_API_TOKENS"))
    }

    @Test("serves events on loopback and flushes its buffer on SIGTERM; no secret in its output")
    func servesAndStops() async throws {
        let redis = try await RedisServer.start(extraArguments: ["--requirepass", "redis-password-77"])
        defer { redis.stop() }
        let collector = try await Collector.start()
        defer { collector.stop() }
        let folder = try DefinitionFolder()
        try folder.write("events/e.yml", DefinitionFolder.event("view_page", identifiers: "[user]"))
        let log = folder.url.appendingPathComponent("serve.log")
        let server = try TallyBinary.launch(
            ["serve", "--port", "0", folder.url.path],
            environment: [
                "TALLY_REDIS_URL": "redis://:redis-password-77@127.0.0.1:\(redis.port)",
                "TALLY_API_TOKENS": "secret-token-1", "TALLY_ADMIN_TOKENS": "admin-token-2",
                "TALLY_EVENT_RECORDS_URL": collector.baseURL,
                "TALLY_INSTANCE_SECRET": "instance-secret-0123456789abcdef-xyz",
            ], output: log,
            unblockingSignals: true)
        defer { server.send(SIGKILL) }
        var port: Int?
        _ = await TestEnvironment.waitUntil {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            port = text.firstMatch(of: /listening on http:\/\/127\.0\.0\.1:(\d+)\//).flatMap { Int($0.1) }
            return port != nil || !server.isRunning
        }
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        let bound = try #require(port, "\(text)")

        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(bound)/api/v4/usage_data/track_event")!)
        request.httpMethod = "POST"
        request.setValue("Bearer secret-token-1", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(#"{"event": "view_page", "user_id": 3, "send_to_snowplow": true}"#.utf8)
        for _ in 0..<3 {
            let (_, response) = try await URLSession.shared.data(for: request)
            #expect((response as? HTTPURLResponse)?.statusCode == 200)
        }
        kill(server.processIdentifier, SIGTERM)
        let stopped = await TestEnvironment.waitUntil { !server.isRunning }
        #expect(stopped, "tally serve stops on SIGTERM")
        // Foundation traps when asked for a running process's status, which would end the whole test process.
        if stopped { #expect(server.terminationStatus == 0) }
        var configuration = redis.configuration()
        configuration.password = "redis-password-77"
        let pool = RedisConnectionPool(redis: configuration)
        defer { pool.close() }
        #expect(try await pool.send(.get("{event_counters}_view_page")).optionalIntegerString() == 3)
        #expect(collector.requests.count >= 1, "event records were sent, and flushed at the stop")
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        for secret in ["secret-token-1", "admin-token-2", "redis-password-77", "instance-secret"] {
            #expect(!output.contains(secret), "\(secret) appears in tally serve's output")
        }
    }
}
