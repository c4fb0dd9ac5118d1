import Foundation
import Hiredis

#if canImport(Glibc)
    import Glibc
#endif

/// A private PostgreSQL server for tests: `initdb` in a temporary directory, then `postgres` itself as a child process
/// on a free loopback port (and a Unix socket in that directory), as `nobody` (through `setpriv`, which execs, so the
/// child is the server) when the tests run as root. Stopped with SIGQUIT (immediate shutdown) at exit.
///
/// Starting is `async` and never parks a thread of the cooperative pool: the tools (`initdb`, `pg_isready`,
/// `createdb`) are awaited through `ChildProcess`, and the readiness poll sleeps as a task.
///
/// Not `pg_ctl start`: its daemonised server would inherit the descriptor Foundation watches to see the child exit.
public final class PostgresServer: Sendable {
    public let port: Int
    public let directory: URL
    private let binaries: String
    private let user: String?
    private let server = LockedValueBox<ChildProcess?>(nil)

    /// `postgres://tally@127.0.0.1:<port>/tally`.
    public var url: String { "postgres://tally@127.0.0.1:\(port)/tally?sslmode=disable" }

    /// Where Debian keeps `initdb` and `pg_ctl` (`pg_config --bindir`), if PostgreSQL is installed.
    public static var binaryDirectory: String? {
        // Symlinks on PATH (some machines link initdb into /usr/local/bin) lead to the real folder with every tool.
        if let initdb = TestEnvironment.executable(named: "initdb") {
            return URL(fileURLWithPath: initdb).resolvingSymlinksInPath().deletingLastPathComponent().path
        }
        if let versions = try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql"),
            let newest = versions.compactMap(Int.init).max(),
            FileManager.default.isExecutableFile(atPath: "/usr/lib/postgresql/\(newest)/bin/initdb")
        {
            return "/usr/lib/postgresql/\(newest)/bin"
        }
        guard let pgConfig = TestEnvironment.executable(named: "pg_config") else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: pgConfig)
        process.arguments = ["--bindir"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let directory = output.trimmingCharacters(in: .whitespacesAndNewlines)
        return FileManager.default.isExecutableFile(atPath: directory + "/initdb") ? directory : nil
    }

    public static var isInstalled: Bool { binaryDirectory != nil }

    /// Whether PostgreSQL suites should run: installed, or CI (where its absence must fail).
    public static var shouldRunSuites: Bool { isInstalled || TestEnvironment.isCI }

    /// One server shared by the test process; each test uses tables of its own.
    /// Started on first use (the tasks that ask meanwhile all await the one start), stopped at process exit.
    public static func shared() async throws -> PostgresServer { try await sharedServer.value }

    private static let sharedServer = Task<PostgresServer, any Error> {
        let server = try await PostgresServer.start()
        sharedInstance.withLockedValue { $0 = server }
        atexit { PostgresServer.sharedInstance.withLockedValue { $0 }?.stop() }
        return server
    }

    /// The shared server once started, for the `atexit` handler (which cannot await `sharedServer`).
    private static let sharedInstance = LockedValueBox<PostgresServer?>(nil)

    /// Starts a new server (a fresh `initdb`) and waits until it accepts connections and has the `tally` database.
    public static func start() async throws -> PostgresServer {
        guard let binaries = binaryDirectory else {
            throw RedisServer.StartError(
                description:
                    "PostgreSQL is not installed (initdb not found); apt-get install postgresql, or run `make test`")
        }
        let user: String? = getuid() == 0 ? "nobody" : nil
        var lastError = "no attempt"
        for _ in 0..<10 {
            let port = Int.random(in: 20_000..<60_000)
            if port == 5432 { continue }
            let directory = try TestEnvironment.makeTemporaryDirectory("tally-test-postgres")
            let server = PostgresServer(port: port, directory: directory, binaries: binaries, user: user)
            do {
                try await server.initialize()
                try await server.launch()
                return server
            } catch {
                lastError = "\(error)"
                await server.stopAndWait()
            }
        }
        throw RedisServer.StartError(description: "could not start PostgreSQL: \(lastError)")
    }

    private init(port: Int, directory: URL, binaries: String, user: String?) {
        self.port = port
        self.directory = directory
        self.binaries = binaries
        self.user = user
    }

    private var dataDirectory: String { directory.appendingPathComponent("data").path }

    private func initialize() async throws {
        if user != nil {
            // The server refuses to run as root: the directory must belong to the user it runs as.
            try await run("/bin/chown", ["nobody", directory.path], asUser: false)
            try await run("/bin/chmod", ["700", directory.path], asUser: false)
        }
        try await run(
            "\(binaries)/initdb", ["-D", dataDirectory, "-U", "tally", "--auth=trust", "--no-sync", "-E", "UTF8"])
    }

    private func launch() async throws {
        let command = Process()
        let arguments = [
            "-D", dataDirectory, "-p", String(port), "-k", directory.path, "-c", "listen_addresses=127.0.0.1",
            "-c", "fsync=off", "-c", "full_page_writes=off",
        ]
        if user != nil {
            command.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            command.arguments =
                ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "\(binaries)/postgres"] + arguments
        } else {
            command.executableURL = URL(fileURLWithPath: "\(binaries)/postgres")
            command.arguments = arguments
        }
        let log = directory.appendingPathComponent("server.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        command.standardOutput = try FileHandle(forWritingTo: log)
        command.standardError = command.standardOutput
        command.standardInput = FileHandle.nullDevice
        command.currentDirectoryURL = URL(fileURLWithPath: "/tmp")
        let child = try ChildProcess(starting: command)
        server.withLockedValue { $0 = child }
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            guard child.isRunning else {
                throw RedisServer.StartError(
                    description:
                        "postgres exited at start: \((try? String(contentsOf: log, encoding: .utf8))?.suffix(400) ?? "")"
                )
            }
            if (try? await run("\(binaries)/pg_isready", ["-h", "127.0.0.1", "-p", String(port), "-q"], asUser: false))
                != nil
            {
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        try await run(
            "\(binaries)/createdb", ["-h", "127.0.0.1", "-p", String(port), "-U", "tally", "tally"], asUser: false)
    }

    /// Stops the server (SIGQUIT: immediate shutdown) and removes its directory, without waiting for the process to
    /// end: for the `atexit` handler.
    public func stop() {
        server.withLockedValue { $0 }?.send(SIGQUIT)
        try? FileManager.default.removeItem(at: directory)
    }

    /// Stops the server as `stop()` does and returns once the process has ended.
    public func stopAndWait() async {
        let child = server.withLockedValue { current in
            defer { current = nil }
            return current
        }
        if let child {
            child.send(SIGQUIT)
            await child.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs a tool to completion, as the unprivileged user when there is one.
    private func run(_ tool: String, _ arguments: [String], asUser: Bool = true) async throws {
        let process = Process()
        if let user, asUser {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=\(user)", "--regid=nogroup", "--clear-groups", tool] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = arguments
        }
        // A file, not a pipe: `pg_ctl start` leaves the server running with its output, and a pipe would never close.
        let outputURL = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tally-pg-tool-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outputURL) }
        let output = try FileHandle(forWritingTo: outputURL)
        defer { try? output.close() }
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        process.currentDirectoryURL = URL(fileURLWithPath: "/tmp")
        let status = try await ChildProcess.run(process)
        let text = (try? String(contentsOf: outputURL, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw RedisServer.StartError(
                description: "\(URL(fileURLWithPath: tool).lastPathComponent) failed: \(text.suffix(400))")
        }
    }
}
