import Foundation
import Hiredis

#if canImport(Glibc)
    import Glibc
#endif

/// A private ClickHouse server for tests: `clickhouse-server` as a child process with a configuration file of its
/// own in a temporary directory (data, logs, users), on free loopback ports, timezone UTC. Stopped with SIGKILL
/// at exit (nothing in it needs to survive).
///
/// Starting is `async` and never parks a thread of the cooperative pool: the readiness poll sleeps as a task.
public final class ClickHouseServer: Sendable {
    /// The HTTP interface's port.
    public let port: Int
    public let directory: URL
    private let server = LockedValueBox<ChildProcess?>(nil)
    /// How the server was last launched, for `restart()`.
    private let launched = LockedValueBox<(binary: String, tcpPort: Int, cluster: (String, [Int])?)?>(nil)

    /// `clickhouse://default@127.0.0.1:<port>/<database>`.
    public func url(database: String) -> String { "clickhouse://default@127.0.0.1:\(port)/\(database)" }

    /// Debian's `clickhouse-server`, if installed.
    public static var binary: String? {
        TestEnvironment.executable(named: "clickhouse-server")
            ?? (FileManager.default.isExecutableFile(atPath: "/usr/sbin/clickhouse-server")
                ? "/usr/sbin/clickhouse-server" : nil)
    }

    public static var isInstalled: Bool { binary != nil }

    /// Whether ClickHouse suites should run: installed, or CI (where its absence must fail).
    public static var shouldRunSuites: Bool { isInstalled || TestEnvironment.isCI }

    /// One server shared by the test process; each test uses a database of its own.
    public static func shared() async throws -> ClickHouseServer { try await sharedServer.value }

    private static let sharedServer = Task<ClickHouseServer, any Error> {
        let server = try await ClickHouseServer.start()
        sharedInstance.withLockedValue { $0 = server }
        atexit { ClickHouseServer.sharedInstance.withLockedValue { $0 }?.stop() }
        return server
    }

    private static let sharedInstance = LockedValueBox<ClickHouseServer?>(nil)

    /// Starts a new server and waits until it is ready for connections.
    public static func start() async throws -> ClickHouseServer {
        try await startServers(count: 1, cluster: nil)[0]
    }

    /// The cluster name sharded servers know each other by (`remote_servers`).
    public static let clusterName = "tally_shards"

    /// Starts `count` servers that form one cluster of `count` shards, `clusterName` in each one's
    /// `remote_servers`, and waits until all are ready.
    public static func startShards(count: Int = 2) async throws -> [ClickHouseServer] {
        try await startServers(count: count, cluster: clusterName)
    }

    /// Two shards shared by the test process; each test uses a database of its own.
    public static func sharedShards() async throws -> [ClickHouseServer] { try await sharedShardServers.value }

    private static let sharedShardServers = Task<[ClickHouseServer], any Error> {
        let servers = try await ClickHouseServer.startShards()
        sharedShardInstances.withLockedValue { $0 = servers }
        atexit { for server in ClickHouseServer.sharedShardInstances.withLockedValue({ $0 }) { server.stop() } }
        return servers
    }

    private static let sharedShardInstances = LockedValueBox<[ClickHouseServer]>([])

    /// `clickhouse://default@127.0.0.1:<port1>,127.0.0.1:<port2>/<database>?cluster=…` for sharded servers.
    public static func url(shards: [ClickHouseServer], database: String) -> String {
        let hosts = shards.map { "127.0.0.1:\($0.port)" }.joined(separator: ",")
        return "clickhouse://default@\(hosts)/\(database)?cluster=\(clusterName)"
    }

    private static func startServers(count: Int, cluster: String?) async throws -> [ClickHouseServer] {
        guard let binary else {
            throw RedisServer.StartError(
                description: "ClickHouse is not installed; apt-get install clickhouse-server, or run `make test`")
        }
        var lastError = "no attempt"
        for _ in 0..<10 {
            let tcpPorts = (0..<count).map { _ in Int.random(in: 20_000..<60_000) }
            var servers: [ClickHouseServer] = []
            do {
                for tcpPort in tcpPorts {
                    let directory = try TestEnvironment.makeTemporaryDirectory("tally-test-clickhouse")
                    let server = ClickHouseServer(port: Int.random(in: 20_000..<60_000), directory: directory)
                    servers.append(server)
                    try await server.launch(binary, tcpPort: tcpPort, cluster: cluster.map { ($0, tcpPorts) })
                }
                return servers
            } catch {
                lastError = "\(error)"
                for server in servers { await server.stopAndWait() }
            }
        }
        throw RedisServer.StartError(description: "could not start ClickHouse: \(lastError)")
    }

    private init(port: Int, directory: URL) {
        self.port = port
        self.directory = directory
    }

    /// The server's configuration: its own folders, loopback only, UTC, a passwordless `default` user.
    /// With `cluster`, its `remote_servers` names the cluster of one shard per TCP port.
    static func configuration(
        directory: String, port: Int, tcpPort: Int, cluster: (name: String, tcpPorts: [Int])? = nil
    ) -> String {
        var remoteServers = ""
        if let cluster {
            let shards = cluster.tcpPorts.map {
                "<shard><replica><host>127.0.0.1</host><port>\($0)</port></replica></shard>"
            }
            remoteServers = "<remote_servers><\(cluster.name)>\(shards.joined())</\(cluster.name)></remote_servers>"
        }
        return """
            <?xml version="1.0"?>
            <yandex>
              <logger><level>information</level><log>\(directory)/server.log</log><errorlog>\(directory)/error.log</errorlog></logger>
              <http_port>\(port)</http_port>
              <tcp_port>\(tcpPort)</tcp_port>
              <listen_host>127.0.0.1</listen_host>
              <path>\(directory)/data/</path>
              <tmp_path>\(directory)/tmp/</tmp_path>
              <user_files_path>\(directory)/user_files/</user_files_path>
              <format_schema_path>\(directory)/format_schemas/</format_schema_path>
              <mark_cache_size>268435456</mark_cache_size>
              <max_concurrent_queries>200</max_concurrent_queries>
              <timezone>UTC</timezone>
              <users_config>\(directory)/users.xml</users_config>
              <default_profile>default</default_profile>
              <default_database>default</default_database>
              \(remoteServers)
            </yandex>
            """
    }

    static let users = """
        <?xml version="1.0"?>
        <yandex>
          <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
          <users>
            <default>
              <password></password>
              <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
              <profile>default</profile>
              <quota>default</quota>
            </default>
          </users>
          <quotas><default></default></quotas>
        </yandex>
        """

    private func launch(_ binary: String, tcpPort: Int, cluster: (String, [Int])?) async throws {
        let config = directory.appendingPathComponent("config.xml")
        try Self.configuration(directory: directory.path, port: port, tcpPort: tcpPort, cluster: cluster)
            .write(to: config, atomically: true, encoding: .utf8)
        try Self.users.write(to: directory.appendingPathComponent("users.xml"), atomically: true, encoding: .utf8)
        // Through a shell that waits for it: clickhouse-server closes the descriptors it inherits, among them the
        // socket by which Foundation learns that a child exited; Foundation's one watcher thread then waits for
        // that child for good, and no other child's exit is seen (a test's `initdb` stayed a zombie). The shell
        // keeps the socket; both are stopped through their process group.
        // A restart waits for this start's readiness line, not the last one's.
        try? FileManager.default.removeItem(at: directory.appendingPathComponent("server.log"))
        launched.withLockedValue { $0 = (binary, tcpPort, cluster) }
        let command = Process()
        command.executableURL = URL(fileURLWithPath: "/bin/sh")
        command.arguments = ["-c", "\"$0\" \"$@\" & wait $!", binary, "--config-file=\(config.path)"]
        let log = directory.appendingPathComponent("console.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        command.standardOutput = try FileHandle(forWritingTo: log)
        command.standardError = command.standardOutput
        command.standardInput = FileHandle.nullDevice
        command.currentDirectoryURL = directory
        let child = try ChildProcess(starting: command)
        server.withLockedValue { $0 = child }
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            guard child.isRunning else {
                let error = (try? String(contentsOf: directory.appendingPathComponent("error.log"), encoding: .utf8))
                throw RedisServer.StartError(
                    description: "clickhouse-server exited at start: \((error ?? "").suffix(600))")
            }
            // The server logs this once its ports are open.
            let logged = (try? String(contentsOf: directory.appendingPathComponent("server.log"), encoding: .utf8))
            if logged?.contains("Ready for connections") == true { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw RedisServer.StartError(description: "clickhouse-server did not open port \(port) within 60 s")
    }

    /// Kills the server (SIGKILL: what it had not written is lost, like a crash) and keeps its data for `restart()`.
    public func kill() async {
        let child = server.withLockedValue { current in
            defer { current = nil }
            return current
        }
        if let child {
            child.sendToGroup(SIGKILL)
            await child.waitUntilExit()
        }
    }

    /// Starts the server again on its ports and data, after `kill()`, and waits until it is ready.
    public func restart() async throws {
        guard let (binary, tcpPort, cluster) = launched.withLockedValue({ $0 }) else {
            throw RedisServer.StartError(description: "restart() of a ClickHouse server that never started")
        }
        try await launch(binary, tcpPort: tcpPort, cluster: cluster)
    }

    /// Kills the server and removes its directory without waiting: for the `atexit` handler.
    public func stop() {
        server.withLockedValue { $0 }?.sendToGroup(SIGKILL)
        try? FileManager.default.removeItem(at: directory)
    }

    /// Kills the server and returns once the process has ended.
    public func stopAndWait() async {
        await kill()
        try? FileManager.default.removeItem(at: directory)
    }
}
