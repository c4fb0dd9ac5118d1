import Foundation
import InternalEvents

/// One `wrk` run of keep-alive `track_event` POSTs, and what it reported.
struct WrkResult {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    var requests: Int
    var errors: Int
    var requestsPerSecond: Double
    var p50Milliseconds: Double
    var p99Milliseconds: Double

    /// Runs wrk with a Lua script that posts `bench_event` for user ids cycling through `users`.
    static func run(
        wrk: String, url: String, token: String, users: Int, threads: Int, connections: Int, duration: Int
    ) async throws -> WrkResult {
        try await run(
            wrk: wrk, url: url, threads: threads, connections: connections, duration: duration,
            script: """
                local counter = 0
                wrk.method = "POST"
                wrk.headers["Content-Type"] = "application/json"
                wrk.headers["Authorization"] = "Bearer \(token)"
                request = function()
                  counter = counter + 1
                  local body = '{"event":"bench_event","user_id":' .. (counter % \(users) + 1) .. '}'
                  return wrk.format(nil, nil, nil, body)
                end
                """)
    }

    /// Runs wrk with `script` (Lua defining `request`, and `setup` if it likes), awaiting its exit without holding
    /// a cooperative thread (the server under test needs them all).
    static func run(
        wrk: String, url: String, threads: Int, connections: Int, duration: Int, script: String
    ) async throws -> WrkResult {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tally-wrk-\(UUID().uuidString).lua")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(
            (script
                + """

                done = function(summary, latency, requests)
                  io.write(string.format("TALLY requests=%d errors=%d p50us=%d p99us=%d\\n", summary.requests,
                    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status
                      + summary.errors.timeout, latency:percentile(50), latency:percentile(99)))
                end
                """).utf8
        ).write(to: file)
        let (status, text) = try await RedisBenchmarkTool.run(
            wrk, ["-t", String(threads), "-c", String(connections), "-d", "\(duration)s", "-s", file.path, url])
        guard status == 0 else {
            throw Failure(description: "wrk exited with \(status): \(text.prefix(300))")
        }
        guard
            let summary = text.firstMatch(of: /TALLY requests=(\d+) errors=(\d+) p50us=(\d+) p99us=(\d+)/),
            let rate = text.firstMatch(of: /Requests\/sec:\s+([0-9.]+)/), let requestsPerSecond = Double(rate.1)
        else { throw Failure(description: "could not read wrk's output: \(text.prefix(300))") }
        return WrkResult(
            requests: Int(summary.1)!, errors: Int(summary.2)!, requestsPerSecond: requestsPerSecond,
            p50Milliseconds: Double(summary.3)! / 1_000, p99Milliseconds: Double(summary.4)! / 1_000)
    }
}
