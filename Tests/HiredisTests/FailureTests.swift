import Foundation
import Hiredis
import TallyTestSupport
import Testing

/// Servers that stop answering, go away and come back. Each test starts a server of its own.
@Suite(
    "Timeouts, refusals and reconnects",
    .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)"))
struct FailureTests {
    @Test func commandTimesOutAgainstAStoppedServer() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        let connection = try await AsyncRedisConnection.connect(
            configuration: server.configuration(commandTimeout: .milliseconds(300)))
        #expect(try await connection.send(.ping) == .status("PONG"))
        server.pause()
        defer { server.resume() }
        do {
            _ = try await connection.send(.incr("k"))
            Issue.record("a paused server answered")
        } catch {
            #expect(error.code == .timeout, "\(error)")
        }
        #expect(await connection.isBroken)
        do {
            _ = try await connection.send(.ping)
            Issue.record("a broken connection was used again")
        } catch {
            #expect(error.code == .io)
            #expect(error.message.contains("broken"))
        }
    }

    @Test func pipelineTimeoutSaysHowFarItGot() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        let connection = try await AsyncRedisConnection.connect(
            configuration: server.configuration(commandTimeout: .milliseconds(300)))
        server.pause()
        defer { server.resume() }
        do {
            _ = try await connection.pipeline(Array(repeating: .ping, count: 10))
            Issue.record("a paused server answered")
        } catch {
            #expect(error.code == .timeout)
            #expect(error.message.contains("after 0 of 10 replies"), "\(error.message)")
        }
    }

    @Test func refusedTCPAndMissingSocket() async throws {
        let server = try await RedisServer.start()
        let port = server.port
        let socket = server.socketPath
        await server.stopAndWait()
        let tcp = try #require(
            await redisError { () async throws(RedisError) in
                try await AsyncRedisConnection.connect(
                    configuration: RedisConfiguration(endpoint: .tcp(host: "127.0.0.1", port: port)))
            })
        #expect(tcp.code == .connectionRefused, "\(tcp)")
        #expect(tcp.message.contains("127.0.0.1:\(port)"))
        let unix = try #require(
            await redisError { () async throws(RedisError) in
                try await AsyncRedisConnection.connect(configuration: RedisConfiguration(endpoint: .unix(path: socket)))
            })
        #expect(unix.code == .connectionRefused, "\(unix)")
        #expect(unix.message.contains(socket))
    }

    @Test func unixSocketSelectsTheDatabase() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        let zero = try await AsyncRedisConnection.connect(configuration: RedisConfiguration(url: server.socketURL))
        let five = try await AsyncRedisConnection.connect(
            configuration: RedisConfiguration(url: server.socketURL + "?db=5"))
        _ = try await five.send(.set("where", "five"))
        #expect(try await five.send(.get("where")) == .bulk(Array("five".utf8)))
        #expect(try await zero.send(.get("where")) == .null)
    }

    @Test func authenticationFromTheURL() async throws {
        let server = try await RedisServer.start(extraArguments: ["--requirepass", "s3cret word"])
        defer { server.stop() }
        let good = try await AsyncRedisConnection.connect(
            configuration: RedisConfiguration(url: "redis://:s3cret%20word@127.0.0.1:\(server.port)/2"))
        #expect(try await good.send(.ping) == .status("PONG"))
        let refused = try #require(
            await redisError { () async throws(RedisError) in
                try await AsyncRedisConnection.connect(
                    configuration: RedisConfiguration(url: "redis://:wrong@127.0.0.1:\(server.port)"))
            })
        #expect(refused.code == .authenticationFailed, "\(refused)")
        #expect(refused.serverCodeWord == "WRONGPASS")
        let anonymous = try await AsyncRedisConnection.connect(configuration: server.configuration())
        let noAuth = try await anonymous.send(.ping).serverError
        #expect(noAuth?.code == .authenticationFailed, "\(String(describing: noAuth))")
        #expect(noAuth?.serverCodeWord == "NOAUTH")
    }

    @Test func aPasswordForAServerWithoutOneIsAnAuthenticationFailure() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        let refused = try #require(
            await redisError { () async throws(RedisError) in
                try await AsyncRedisConnection.connect(
                    configuration: RedisConfiguration(url: "redis://:secret@127.0.0.1:\(server.port)"))
            })
        // Redis answers `ERR AUTH <password> called without any password configured …`: the word is ERR, but it
        // is AUTH's refusal.
        #expect(refused.code == .authenticationFailed, "\(refused)")
        #expect(refused.serverCodeWord == "ERR")
    }
}
