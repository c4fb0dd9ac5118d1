import Hiredis
import TallyTestSupport
import Testing

/// Server error replies classified by their code word, without a server.
@Suite("Server error classification")
struct ServerErrorClassificationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var line: String
        var code: RedisError.Code
        var word: String?
        var transient: Bool
        var testDescription: String { line.isEmpty ? "(empty line)" : line }
    }

    static let cases: [Case] = [
        Case(
            line: "ERR unknown command 'X', with args beginning with: ", code: .serverError, word: "ERR",
            transient: false),
        Case(
            line: "WRONGTYPE Operation against a key holding the wrong kind of value", code: .wrongType,
            word: "WRONGTYPE", transient: false),
        Case(
            line: "READONLY You can't write against a read only replica.", code: .readOnly, word: "READONLY",
            transient: true),
        Case(
            line: "OOM command not allowed when used memory > 'maxmemory'.", code: .serverOutOfMemory, word: "OOM",
            transient: true),
        Case(line: "LOADING Redis is loading the dataset in memory", code: .loading, word: "LOADING", transient: true),
        Case(
            line: "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.",
            code: .busy, word: "BUSY", transient: true),
        Case(
            line: "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk.",
            code: .persistenceFailure, word: "MISCONF", transient: true),
        Case(
            line: "NOSCRIPT No matching script. Please use EVAL.", code: .noScript, word: "NOSCRIPT", transient: false),
        Case(line: "NOAUTH Authentication required.", code: .authenticationFailed, word: "NOAUTH", transient: true),
        Case(
            line: "WRONGPASS invalid username-password pair or user is disabled.", code: .authenticationFailed,
            word: "WRONGPASS", transient: true),
        Case(
            line: "NOPERM this user has no permissions to run the 'set' command", code: .noPermission, word: "NOPERM",
            transient: false),
        Case(
            line: "EXECABORT Transaction discarded because of previous errors.", code: .execAbort, word: "EXECABORT",
            transient: false),
        Case(
            line: "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
            code: .masterDown, word: "MASTERDOWN", transient: true),
        Case(
            line: "NOREPLICAS Not enough good replicas to write.", code: .noReplicas, word: "NOREPLICAS",
            transient: true),
        Case(
            line: "TRYAGAIN Multiple keys request during rehashing of slot", code: .tryAgain, word: "TRYAGAIN",
            transient: true),
        Case(line: "CLUSTERDOWN The cluster is down", code: .clusterDown, word: "CLUSTERDOWN", transient: true),
        Case(line: "MOVED 3999 127.0.0.1:6381", code: .moved, word: "MOVED", transient: false),
        Case(line: "ASK 3999 127.0.0.1:6381", code: .ask, word: "ASK", transient: false),
        Case(
            line: "CROSSSLOT Keys in request don't hash to the same slot", code: .crossSlot, word: "CROSSSLOT",
            transient: false),
        // Words without a code of their own, and lines that don't start with a code word.
        Case(line: "BUSYKEY Target key name already exists.", code: .serverError, word: "BUSYKEY", transient: false),
        Case(line: "OOMPH not the server's OOM", code: .serverError, word: "OOMPH", transient: false),
        Case(line: "READONLY", code: .readOnly, word: "READONLY", transient: true),
        Case(line: "my error", code: .serverError, word: nil, transient: false),
        Case(line: "Readonly is not a code word", code: .serverError, word: nil, transient: false),
        Case(line: "", code: .serverError, word: nil, transient: false),
    ]

    @Test(arguments: cases)
    func classifiedByTheFirstWord(_ example: Case) {
        let error = RedisError(serverReply: example.line)
        #expect(error.code == example.code)
        #expect(error.serverCodeWord == example.word)
        #expect(error.message == example.line, "the whole line is kept")
        #expect(error.isTransient == example.transient)
        #expect(error.isServerError)
        #expect(!error.breaksConnection, "a refusal leaves the connection usable")
        #expect(RedisReply.error(example.line).serverError == error, "one classification for every path")
        #expect(throws: error) { try RedisReply.error(example.line).checked() }
    }

    @Test func otherRepliesAreNoServerErrors() throws {
        #expect(RedisReply.status("OK").serverError == nil)
        #expect(RedisReply.null.serverError == nil)
        #expect(RedisReply.array([.error("ERR inside")]).serverError == nil, "only the reply itself counts")
        #expect(try RedisReply.integer(1).checked() == .integer(1))
    }

    @Test func clientSideErrorsAreNeitherServerErrorsNorTransient() {
        for code in [RedisError.Code.timeout, .eof, .io, .connectionRefused, .poolTimeout, .cancelled, .outOfMemory] {
            let error = RedisError(code: code, message: "x")
            #expect(!error.isServerError, "\(code)")
            #expect(!error.isTransient, "\(code)")
            #expect(error.serverCodeWord == nil)
        }
        #expect(
            RedisError.Code.outOfMemory != .serverOutOfMemory, "hiredis' allocation failure is not the server's OOM")
    }

    @Test func accessorsKeepTheClassification() {
        let reply = RedisReply.error("WRONGTYPE Operation against a key holding the wrong kind of value")
        do {
            _ = try reply.int()
            Issue.record("an error reply was read as an integer")
        } catch {
            #expect(error.code == .wrongType)
            #expect(error.serverCodeWord == "WRONGTYPE")
            #expect(error.message.hasPrefix("WRONGTYPE Operation against"))
            #expect(error.message.hasSuffix("(expected integer reply, got error reply)"))
        }
    }
}

/// The same classification for replies of a real server.
@Suite(
    "Server errors from a server",
    .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)"))
struct ServerErrorTests {
    @Test func wrongTypeAndNoScript() async throws {
        let connection = try await AsyncRedisConnection.connect(
            configuration: await RedisServer.shared().configuration())
        let prefix = TestEnvironment.uniqueKeyPrefix("server-errors")
        _ = try await connection.send(.set(prefix + "text", "abc"))
        let reply = try await connection.send(.pfadd(prefix + "text", ["1"]))
        let wrongType = try #require(reply.serverError, "\(reply)")
        #expect(wrongType.code == .wrongType)
        #expect(throws: wrongType) { try reply.checked() }
        let missing = try await connection.send(.evalSHA(String(repeating: "0", count: 40)))
        #expect(missing.serverError?.code == .noScript, "\(missing)")
        #expect(missing.serverError?.isTransient == false)
        #expect(!(await connection.isBroken))
    }

    @Test func readOnlyReplicaRefusesWritesAndTransactions() async throws {
        let primary = try await RedisServer.start()
        defer { primary.stop() }
        let replica = try await RedisServer.start(extraArguments: ["--replicaof", "127.0.0.1", String(primary.port)])
        defer { replica.stop() }
        let connection = try await AsyncRedisConnection.connect(configuration: replica.configuration())
        let refused = try await connection.send(.incr("k")).serverError
        #expect(refused?.code == .readOnly)
        #expect(refused?.isTransient == true)
        do {
            _ = try await connection.transaction([.incr("k"), .incr("k")])
            Issue.record("a replica ran a write transaction")
        } catch {
            // EXEC's EXECABORT says only "previous errors": the error is the queued command's refusal.
            #expect(error.code == .readOnly, "\(error)")
            #expect(error.isTransient)
            #expect(error.serverCodeWord == "READONLY")
            #expect(error.message.contains("EXECABORT"), "\(error.message)")
        }
        #expect(try await connection.send(.ping) == .status("PONG"))
    }

    @Test func serverOutOfMemoryIsTransient() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        let connection = try await AsyncRedisConnection.connect(configuration: server.configuration())
        try await connection.send(RedisCommand("CONFIG", arguments: ["SET", "maxmemory", "1"])).checked()
        let refused = try #require(try await connection.send(.set("k", "v")).serverError)
        #expect(refused.code == .serverOutOfMemory, "\(refused)")
        #expect(refused.code != .outOfMemory)
        #expect(refused.isTransient)
        let inTransaction = try #require(
            await redisError { () async throws(RedisError) in try await connection.transaction([.set("k", "v")]) })
        #expect(inTransaction.code == .serverOutOfMemory, "\(inTransaction)")
        try await connection.send(RedisCommand("CONFIG", arguments: ["SET", "maxmemory", "0"])).checked()
        #expect(try await connection.send(.set("k", "v")) == .status("OK"), "the state passed")
    }
}
