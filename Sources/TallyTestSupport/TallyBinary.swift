import Foundation

/// The `tally` executable built beside the test bundle, run as a user would run it.
public enum TallyBinary {
    /// What a run printed and how it ended.
    public struct Output: Sendable {
        public var status: Int32
        public var standardOutput: String
        public var standardError: String
        /// Both streams, for assertions that don't care which one.
        public var combined: String { standardOutput + standardError }
    }

    /// `.build/<triple>/debug/tally`, next to the test bundle.
    public static var url: URL {
        let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return bundleDirectory.appendingPathComponent("tally")
    }

    /// Runs `tally` with the arguments and extra environment, and waits for it to end (suspending, never blocking: see
    /// `ChildProcess`).
    /// The child gets the test process' environment minus any `TALLY_*` variable, an in-memory SQLite database, and
    /// `environment`.
    public static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> Output {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.environment = childEnvironment(environment)
        // Files rather than pipes: a child that prints a lot can never block on a full pipe.
        let directory = try TestEnvironment.makeTemporaryDirectory("tally-cli-output")
        defer { try? FileManager.default.removeItem(at: directory) }
        let outputURL = directory.appendingPathComponent("stdout")
        let errorURL = directory.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        let output = try FileHandle(forWritingTo: outputURL)
        let error = try FileHandle(forWritingTo: errorURL)
        defer {
            try? output.close()
            try? error.close()
        }
        process.standardOutput = output
        process.standardError = error
        process.standardInput = FileHandle.nullDevice
        let status = try await ChildProcess.run(process)
        return Output(
            status: status,
            standardOutput: try String(contentsOf: outputURL, encoding: .utf8),
            standardError: try String(contentsOf: errorURL, encoding: .utf8))
    }

    /// Starts `tally` in the background (for long-running commands like `worker`); its output goes to `output`.
    /// `unblockingSignals` starts it through a `python3` shim that clears the blocked-signal mask the test's threads
    /// pass on to children, so SIGTERM reaches it as it would under a service manager.
    public static func launch(
        _ arguments: [String], environment: [String: String] = [:], output: URL, unblockingSignals: Bool = false
    ) throws -> ChildProcess {
        let process = Process()
        if unblockingSignals {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments =
                [
                    "python3", "-c",
                    "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv(sys.argv[1], sys.argv[1:])",
                    url.path,
                ] + arguments
        } else {
            process.executableURL = url
            process.arguments = arguments
        }
        process.environment = childEnvironment(environment)
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        return try ChildProcess(starting: process)
    }

    /// The test process' environment minus any `TALLY_*` variable, an in-memory SQLite database (never the default
    /// `sqlite://tally.sqlite` in the repository), then `extra`.
    private static func childEnvironment(_ extra: [String: String]) -> [String: String] {
        var merged = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("TALLY_") }
        merged["TALLY_DATABASE_URL"] = "sqlite::memory:"
        merged.merge(extra) { _, new in new }
        return merged
    }
}
