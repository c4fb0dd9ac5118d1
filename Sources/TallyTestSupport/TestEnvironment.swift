import Foundation

/// Facts about the environment the tests run in.
public enum TestEnvironment {
    /// Whether the tests run in CI (`CI=true`), where a missing server fails the run instead of skipping.
    public static var isCI: Bool {
        let value = ProcessInfo.processInfo.environment["CI"]?.lowercased()
        return value == "true" || value == "1"
    }

    /// The full path of an executable found on `PATH`, or `nil`.
    public static func executable(named name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// A key prefix no other test uses, so tests can share one server without wiping it.
    public static func uniqueKeyPrefix(_ label: String = "test") -> String {
        "\(label):\(UUID().uuidString.prefix(8)):"
    }

    /// A new empty directory under the system's temporary directory.
    public static func makeTemporaryDirectory(_ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(label)-\(UUID().uuidString.prefix(12))", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

extension TestEnvironment {
    /// Midnight UTC of a `YYYY-MM-DD` day, for pinned clocks.
    public static func day(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        guard let date = formatter.date(from: text) else { preconditionFailure("not a YYYY-MM-DD day: \(text)") }
        return date
    }
}

extension TestEnvironment {
    /// Checks `condition` every 10 ms until it holds (true) or `limit` has passed (false): a guard against hanging
    /// on something that never happens, not a timing assertion. The test helpers never park a cooperative thread
    /// (servers, the CLI and Redis reads are awaited off the pool), so a waiting task gets a thread again soon.
    public static func waitUntil(
        limit: Duration = .seconds(30), _ condition: () async throws -> Bool
    ) async rethrows -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return try await condition()
    }
}

extension TestEnvironment {
    /// Runs a command found on `PATH` (`["psql", …]`, `["python3", "-c", …]`) to its end; returns its exit status
    /// and what it printed on standard output and standard error together. Suspends, never blocks, while the
    /// command runs (see `ChildProcess`).
    @discardableResult
    public static func run(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        // A file rather than a pipe: nobody has to drain it while the command runs, and a child that prints a lot can
        // never block on a full pipe.
        let directory = try makeTemporaryDirectory("tally-command-output")
        defer { try? FileManager.default.removeItem(at: directory) }
        let outputURL = directory.appendingPathComponent("output")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        let output = try FileHandle(forWritingTo: outputURL)
        defer { try? output.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        let status = try await ChildProcess.run(process)
        return (status, try String(contentsOf: outputURL, encoding: .utf8))
    }
}
