import Foundation
import Hiredis
import InternalEvents

/// Runs Redis' own `redis-benchmark` against the same server, as the baseline.
struct RedisBenchmarkTool {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let executable: String

    init() throws {
        guard let found = Self.find("redis-benchmark") else {
            throw Failure(description: "redis-benchmark is not on PATH; install it with: apt-get install redis-tools")
        }
        executable = found
    }

    /// Runs a benchmark tool to its end; returns its exit status and its standard output and error together.
    ///
    /// Never parks a thread of the cooperative pool while the tool runs (a parked thread would be one fewer for the
    /// server being measured): the output goes to a temporary file, not a pipe someone must drain, and the exit is
    /// awaited through `Process.terminationHandler`, which Foundation calls on a thread of its own.
    static func run(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        let outputURL = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tally-bench-tool-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outputURL) }
        let output = try FileHandle(forWritingTo: outputURL)
        defer { try? output.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        let status = try await withCheckedThrowingContinuation {
            (continuation: CheckedContinuation<Int32, any Error>) in
            // Set before `run()`, so an exit that comes first is not missed; called once, on Foundation's thread.
            process.terminationHandler = { finished in continuation.resume(returning: finished.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        return (status, try String(contentsOf: outputURL, encoding: .utf8))
    }

    /// The full path of an executable on `PATH`, or `nil`.
    static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    /// The connection arguments for `configuration`.
    static func connectionArguments(_ configuration: RedisConfiguration) -> [String] {
        var arguments: [String] = []
        switch configuration.endpoint {
        case .tcp(let host, let port): arguments += ["-h", host, "-p", String(port)]
        case .unix(let path): arguments += ["-s", path]
        }
        if let username = configuration.username { arguments += ["--user", username] }
        if let password = configuration.password { arguments += ["-a", password] }
        if configuration.database != 0 { arguments += ["--dbnum", String(configuration.database)] }
        return arguments
    }

    /// Runs `redis-benchmark … --csv` and returns the requests per second of its first result row.
    func requestsPerSecond(_ configuration: RedisConfiguration, arguments: [String]) async throws -> Double {
        let (status, text) = try await Self.run(
            executable, Self.connectionArguments(configuration) + arguments + ["--csv"])
        guard status == 0 else {
            throw Failure(description: "redis-benchmark exited with \(status): \(text.prefix(200))")
        }
        // CSV: a header line `"test","rps",…`, then `"INCR","123456.78",…`.
        for line in text.split(separator: "\n") where !line.hasPrefix("\"test\"") {
            let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            if fields.count >= 2, let rps = Double(fields[1]) { return rps }
        }
        throw Failure(description: "could not read redis-benchmark's output: \(text.prefix(200))")
    }
}
