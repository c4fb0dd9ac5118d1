import Foundation
import Hiredis

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A private `redis-server` process for tests: a free loopback port (never 6379) and a Unix socket in a temporary
/// directory, no persistence (`--save '' --appendonly no`).
///
/// The process stops when `stop()` is called or the value is released, and the shared instance stops at process
/// exit. Starting, restarting and relaunching are `async` and never park a thread of the cooperative pool (the child's
/// exit is awaited through `ChildProcess`, readiness is polled on a thread of its own); `stop()` is
/// synchronous and doesn't wait (for `defer`), `stopAndWait()` returns once the port and socket are closed. `scripts/test.sh` also kills any leftover test server after a crashed run (they all live under a
/// `tally-test-redis-` directory).
public final class RedisServer: Sendable {
    /// Why a test server could not be started.
    public struct StartError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The TCP port on 127.0.0.1.
    public let port: Int
    /// The Unix socket path.
    public let socketPath: String
    /// The server's working directory (removed on stop).
    public let directory: URL

    private let executable: String
    private let process: LockedValueBox<ChildProcess?>

    /// `redis://127.0.0.1:<port>`.
    public var url: String { "redis://127.0.0.1:\(port)" }
    /// `unix://<socket>`.
    public var socketURL: String { "unix://\(socketPath)" }

    /// A configuration for the TCP endpoint.
    public func configuration(commandTimeout: Duration = .seconds(2)) -> RedisConfiguration {
        RedisConfiguration(endpoint: .tcp(host: "127.0.0.1", port: port), commandTimeout: commandTimeout)
    }

    /// Whether `redis-server` is on `PATH`.
    public static var isInstalled: Bool { TestEnvironment.executable(named: "redis-server") != nil }

    /// Whether Redis suites should run: the server is installed, or this is CI (where its absence must fail).
    public static var shouldRunSuites: Bool { isInstalled || TestEnvironment.isCI }

    /// One server shared by every suite of the test process that only needs keys of its own.
    ///
    /// Started on first use (the tasks that ask meanwhile all await the one start), stopped at process exit.
    public static func shared() async throws -> RedisServer {
        try await sharedServer.value
    }

    /// A second shared server, for suites whose scripts keep the server busy for long stretches (a Lua script adding
    /// 200,000 members runs for a second or more on a loaded machine): on ``shared()`` they would stall every other
    /// suite's calls past their 2 s timeout (seen in CI under the sanitizers).
    public static func sharedForLongScripts() async throws -> RedisServer {
        try await sharedLongScriptServer.value
    }

    private static let sharedServer = startShared()
    private static let sharedLongScriptServer = startShared()

    /// Starts a server on first use (the tasks that ask meanwhile all await the one start), stopped at process exit.
    private static func startShared() -> Task<RedisServer, any Error> {
        Task {
            let server = try await RedisServer.start()
            let isFirst = sharedInstances.withLockedValue { servers in
                servers.append(server)
                return servers.count == 1
            }
            if isFirst { atexit { RedisServer.sharedInstances.withLockedValue { $0 }.forEach { $0.stop() } } }
            return server
        }
    }

    /// The shared servers once started, for the `atexit` handler (which cannot await their tasks).
    private static let sharedInstances = LockedValueBox<[RedisServer]>([])

    /// Starts a new server and waits until it answers `PING`.
    /// - Parameters:
    ///   - extraArguments: more `redis-server` options, for example `["--maxmemory", "1mb"]`.
    ///   - ports: where the random port is picked (a cluster node needs its port + 10,000 free too, for the bus).
    public static func start(
        extraArguments: [String] = [], ports: Range<Int> = 20_000..<60_000
    ) async throws -> RedisServer {
        try await start(extraArguments: extraArguments, ports: ports, configurationFile: nil)
    }

    /// Sends one command to the server on `port` of the loopback interface, on a connection of its own (so it works
    /// across kills and restarts).
    public static func send(_ command: RedisCommand, toPort port: Int) async throws(RedisError) -> RedisReply {
        let connection = try await AsyncRedisConnection.connect(
            configuration: RedisConfiguration(
                endpoint: .tcp(host: "127.0.0.1", port: port), connectTimeout: .seconds(1)))
        return try await connection.send(command)
    }

    /// Starts a sentinel (`redis-server sentinel.conf --sentinel`) whose config file monitors the master on
    /// `masterPort` as `name`, with `quorum` and the given down-after time, and waits until it answers.
    public static func startSentinel(
        monitoring name: String, masterPort: Int, quorum: Int = 2, downAfter: Duration = .seconds(1)
    ) async throws -> RedisServer {
        let milliseconds = downAfter.inNanoseconds / 1_000_000
        let configuration = [
            "sentinel monitor \(name) 127.0.0.1 \(masterPort) \(quorum)",
            "sentinel down-after-milliseconds \(name) \(milliseconds)",
            "sentinel failover-timeout \(name) 10000",
            "sentinel parallel-syncs \(name) 1",
        ]
        return try await start(
            extraArguments: ["--sentinel"], ports: 20_000..<60_000,
            configurationFile: configuration.joined(separator: "\n"))
    }

    /// `start`, with a config file of this text written in the server's directory and given first.
    private static func start(
        extraArguments: [String], ports: Range<Int>, configurationFile: String?
    ) async throws -> RedisServer {
        guard let executable = TestEnvironment.executable(named: "redis-server") else {
            throw StartError(
                description:
                    "redis-server is not on PATH. Install it (apt-get install redis-server) or run `make test`, which does."
            )
        }
        var lastFailure = "no attempt made"
        for _ in 0..<20 {
            let port = Int.random(in: ports)
            if port == 6379 { continue }
            let directory = try TestEnvironment.makeTemporaryDirectory("tally-test-redis")
            let server = RedisServer(executable: executable, port: port, directory: directory)
            do {
                var leading: [String] = []
                if let configurationFile {
                    let file = directory.appendingPathComponent("redis.conf")
                    try (configurationFile + "\n").write(to: file, atomically: true, encoding: .utf8)
                    leading = [file.path]
                }
                try await server.launch(leadingArguments: leading, extraArguments: extraArguments)
                return server
            } catch {
                lastFailure = "\(error)"
                let portTaken = server.logTail(lines: 20).contains("Address already in use")
                await server.stopAndWait()
                if !portTaken { break }
            }
        }
        throw StartError(description: "could not start redis-server: \(lastFailure)")
    }

    private init(executable: String, port: Int, directory: URL) {
        self.executable = executable
        self.port = port
        self.directory = directory
        self.socketPath = directory.appendingPathComponent("redis.sock").path
        self.process = LockedValueBox(nil)
    }

    deinit {
        stop()
    }

    private var extraArgumentsFile: URL { directory.appendingPathComponent("extra-arguments") }

    private func launch(leadingArguments: [String] = [], extraArguments: [String]) async throws {
        try JSONEncoder().encode(extraArguments).write(to: extraArgumentsFile)
        let command = Process()
        command.executableURL = URL(fileURLWithPath: executable)
        command.arguments =
            leadingArguments + [
                "--port", String(port), "--bind", "127.0.0.1", "--protected-mode", "yes",
                "--unixsocket", socketPath, "--unixsocketperm", "700",
                "--save", "", "--appendonly", "no", "--dir", directory.path,
                "--logfile", directory.appendingPathComponent("redis.log").path, "--daemonize", "no",
            ] + extraArguments
        command.standardOutput = FileHandle.nullDevice
        command.standardError = FileHandle.nullDevice
        let child = try ChildProcess(starting: command)
        process.withLockedValue { $0 = child }
        let password = extraArguments.firstIndex(of: "--requirepass").flatMap {
            extraArguments.indices.contains($0 + 1) ? extraArguments[$0 + 1] : nil
        }
        let pid = child.processIdentifier
        try await TestEnvironment.onOwnThread { try self.waitUntilReady(pid: pid, password: password) }
    }

    /// Polls the Unix socket until the server answers, and checks it is our process (not another server).
    ///
    /// **Blocking** (synchronous connections, sleeps): run it with `TestEnvironment.onOwnThread`, never on the pool.
    /// The 30 s are a guard against a server that never answers; with the whole suite starting servers at once on
    /// 2 cores, one can take seconds.
    private func waitUntilReady(pid: Int32, password: String?) throws {
        let deadline = Date().addingTimeInterval(30)
        let configuration = RedisConfiguration(
            endpoint: .unix(path: socketPath), password: password, connectTimeout: .milliseconds(200))
        while Date() < deadline {
            if !isRunning {
                throw StartError(description: "redis-server exited at start: \(logTail())")
            }
            if let connection = try? RedisConnection(configuration: configuration),
                let info = try? connection.send(.info("server")).string()
            {
                guard info.contains("process_id:\(pid)\r\n"), info.contains("tcp_port:\(port)\r\n") else {
                    throw StartError(description: "another server answered on \(socketPath)")
                }
                return
            }
            usleep(10_000)
        }
        throw StartError(description: "redis-server did not answer PING within 30 s: \(logTail())")
    }

    /// Whether the process is alive.
    public var isRunning: Bool {
        process.withLockedValue { $0?.isRunning ?? false }
    }

    /// The last lines of the server's log, for error messages.
    public func logTail(lines: Int = 5) -> String {
        let log = (try? String(contentsOf: directory.appendingPathComponent("redis.log"), encoding: .utf8)) ?? ""
        return log.split(separator: "\n").suffix(lines).joined(separator: " | ")
    }

    /// Stops the server (SIGKILL, which also ends a paused one) and removes its directory, without waiting for the
    /// process to end: for `defer` and `deinit`. A test that then needs the port closed awaits `stopAndWait()`.
    public func stop() {
        process.withLockedValue { $0 }?.send(SIGKILL)
        try? FileManager.default.removeItem(at: directory)
    }

    /// Stops the server as `stop()` does and returns once the process has ended: nothing listens on the port or the
    /// socket any more.
    public func stopAndWait() async {
        await terminateProcess()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Stops the process and starts it again on the same port and socket, with an empty dataset.
    public func restart() async throws {
        await terminateProcess()
        let extra = (try? JSONDecoder().decode([String].self, from: Data(contentsOf: extraArgumentsFile))) ?? []
        try await launch(extraArguments: extra)
    }

    /// Kills the process (SIGKILL) but keeps its directory, so `relaunch()` finds an append-only file there. Doesn't
    /// wait for the process to end; `relaunch()` does.
    public func kill() {
        process.withLockedValue { $0 }?.send(SIGKILL)
    }

    /// Starts the process again after `kill()`, same port, socket, directory and options, once the killed one has
    /// ended.
    public func relaunch() async throws {
        await terminateProcess()
        let extra = (try? JSONDecoder().decode([String].self, from: Data(contentsOf: extraArgumentsFile))) ?? []
        try await launch(extraArguments: extra)
    }

    /// Stops the process with SIGSTOP: connections stay open but nothing is answered.
    public func pause() {
        signal(SIGSTOP)
    }

    /// Resumes a paused process with SIGCONT.
    public func resume() {
        signal(SIGCONT)
    }

    private func signal(_ number: Int32) {
        process.withLockedValue { $0 }?.send(number)
    }

    /// Kills the process (if it still runs) and returns once it has ended.
    private func terminateProcess() async {
        let child = process.withLockedValue { current in
            defer { current = nil }
            return current
        }
        guard let child else { return }
        // SIGKILL, not SIGTERM: a child spawned from a Swift concurrency or Dispatch thread inherits that thread's
        // blocked-signal mask, SIGTERM included, and redis-server never unblocks it. The server keeps no data.
        child.send(SIGKILL)
        await child.waitUntilExit()
    }
}
