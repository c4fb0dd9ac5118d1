import InternalEvents
import TallyTestSupport
import Testing

/// The `tally` binary, run as a user runs it.
@Suite(
    "tally CLI",
    .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)"))
struct CLITests {
    @Test func version() throws {
        let output = try TallyBinary.run(["--version"])
        #expect(output.status == 0)
        #expect(output.standardOutput == TallyVersion.current + "\n")
    }

    @Test func doctorReportsAHealthyServer() throws {
        let server = try RedisServer.shared()
        let output = try TallyBinary.run(["doctor"], environment: ["TALLY_REDIS_URL": server.url])
        #expect(output.status == 0, "\(output.combined)")
        #expect(
            output.standardOutput.contains(
                "[ok]      redis: connected to \(server.url) (from TALLY_REDIS_URL): Redis 7"))
        #expect(output.standardOutput.contains("no persistence configured"), "the test server runs with --save ''")
        #expect(output.standardOutput.contains("doctor: all checks passed"))
    }

    @Test func doctorPrefersTheFlagOverTheEnvironment() throws {
        let server = try RedisServer.shared()
        let output = try TallyBinary.run(
            ["doctor", "--redis-url", server.socketURL], environment: ["TALLY_REDIS_URL": "redis://127.0.0.1:1"])
        #expect(output.status == 0, "\(output.combined)")
        #expect(output.standardOutput.contains("(from --redis-url)"))
    }

    @Test func doctorExplainsARefusedConnection() throws {
        let server = try RedisServer.start()
        let url = server.url
        server.stop()
        let output = try TallyBinary.run(["doctor"], environment: ["TALLY_REDIS_URL": url])
        #expect(output.status == 1)
        #expect(
            output.standardOutput.contains(
                "[error]   redis: nothing accepts connections at \(url) (from TALLY_REDIS_URL)"), "\(output.combined)")
    }

    @Test func doctorNamesABadURL() throws {
        let output = try TallyBinary.run(
            ["doctor"], environment: ["TALLY_REDIS_URL": "redis://:topsecret@localhost/notadb"])
        #expect(output.status == 1)
        #expect(
            output.standardOutput.contains(
                "TALLY_REDIS_URL: Redis URL redis://:***@localhost/notadb: database \"notadb\""), "\(output.combined)")
        #expect(!output.combined.contains("topsecret"))
    }

    @Test func doctorNeverPrintsThePassword() throws {
        let server = try RedisServer.start(extraArguments: ["--requirepass", "hunter2"])
        defer { server.stop() }
        let good = try TallyBinary.run(["doctor", "--redis-url", "redis://:hunter2@127.0.0.1:\(server.port)"])
        #expect(good.status == 0, "\(good.combined)")
        #expect(good.standardOutput.contains("redis://:***@127.0.0.1:\(server.port)"))
        let wrong = try TallyBinary.run(["doctor", "--redis-url", "redis://:hunter3@127.0.0.1:\(server.port)"])
        #expect(wrong.status == 1)
        #expect(wrong.standardOutput.contains("refused authentication"), "\(wrong.combined)")
        #expect(!good.combined.contains("hunter2") && !wrong.combined.contains("hunter3"))
    }

    @Test func doctorFlagsAReadOnlyReplica() throws {
        let primary = try RedisServer.shared()
        let replica = try RedisServer.start(extraArguments: ["--replicaof", "127.0.0.1", String(primary.port)])
        defer { replica.stop() }
        let output = try TallyBinary.run(["doctor", "--redis-url", replica.url])
        #expect(output.status == 1)
        #expect(output.standardOutput.contains("read-only replica"), "\(output.combined)")
    }
}
