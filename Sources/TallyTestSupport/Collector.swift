import Foundation
import Hiredis

#if canImport(Glibc)
    import Glibc
#endif

/// A Service Ping and Snowplow collector for tests: a real HTTP server (Python's `http.server`, run by `python3`) on a free
/// loopback port that records every request and answers as told. Starting is `async` (the readiness poll runs on a
/// thread of its own); `stop()` doesn't wait for the process to end, `stopAndWait()` does.
public final class Collector: Sendable {
    /// How the collector answers `POST /usage_data`.
    public enum Mode: String, Sendable {
        /// 201 with `{"conv_index": {"usage_data_id": 4242}}`.
        case accept
        /// 500.
        case fail
        /// 200 with a usage_data_id that is not an integer.
        case invalidID = "invalid_id"
    }

    /// One request received.
    public struct Request: Sendable, Decodable {
        public var path: String
        public var body: String
        public var contentType: String?
        /// Whether the collector answered it with a 503 (see `failingFirst`).
        public var answeredWithError: Bool
    }

    public let port: Int
    public let directory: URL
    private let process: LockedValueBox<ChildProcess?>

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    static let script = #"""
        import http.server, json, sys, time
        mode, log, failures, delay = sys.argv[2], sys.argv[3], [int(sys.argv[4])], float(sys.argv[5])
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                time.sleep(delay)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode("utf-8", "replace")
                failing = self.path != "/usage_data" and failures[0] > 0
                with open(log, "a") as f:
                    f.write(json.dumps({"path": self.path, "body": body, "contentType": self.headers.get("Content-Type"),
                                        "answeredWithError": failing}) + "\n")
                if failing:
                    failures[0] -= 1
                    self.send_response(503); self.send_header("Content-Length", "0"); self.end_headers(); return
                if self.path == "/usage_data" and mode == "fail":
                    self.send_response(500); self.end_headers(); return
                answer = {"conv_index": {"usage_data_id": 4242 if mode == "accept" else "x"}} if self.path == "/usage_data" else {}
                data = json.dumps(answer).encode()
                self.send_response(201 if self.path == "/usage_data" else 200)
                self.send_header("Content-Type", "application/json"); self.send_header("Content-Length", str(len(data)))
                self.end_headers(); self.wfile.write(data)
            def log_message(self, *args): pass
        server = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
        open(log + ".ready", "w").close()
        server.serve_forever()
        """#

    /// Starts a collector answering in `mode`; the first `failingFirst` requests to any path but `/usage_data`
    /// (event records) get a 503; every answer waits `delay` first (a slow collector).
    public static func start(
        mode: Mode = .accept, failingFirst: Int = 0, delay: Duration = .zero
    ) async throws -> Collector {
        guard let python = TestEnvironment.executable(named: "python3") else {
            throw RedisServer.StartError(description: "python3 is not on PATH; the test collector needs it")
        }
        for _ in 0..<20 {
            let port = Int.random(in: 20_000..<60_000)
            let directory = try TestEnvironment.makeTemporaryDirectory("tally-test-collector")
            let collector = Collector(port: port, directory: directory)
            if try await collector.launch(python: python, mode: mode, failingFirst: failingFirst, delay: delay) {
                return collector
            }
            await collector.stopAndWait()
        }
        throw RedisServer.StartError(description: "could not start the test collector")
    }

    private init(port: Int, directory: URL) {
        self.port = port
        self.directory = directory
        process = LockedValueBox(nil)
    }

    deinit { stop() }

    private var logURL: URL { directory.appendingPathComponent("requests.jsonl") }

    private func launch(python: String, mode: Mode, failingFirst: Int, delay: Duration) async throws -> Bool {
        let delaySeconds = delay.inSeconds
        let command = Process()
        command.executableURL = URL(fileURLWithPath: python)
        command.arguments = [
            "-c", Self.script, String(port), mode.rawValue, logURL.path, String(failingFirst), String(delaySeconds),
        ]
        command.standardOutput = FileHandle.nullDevice
        command.standardError = FileHandle.nullDevice
        let child = try ChildProcess(starting: command)
        process.withLockedValue { $0 = child }
        let ready = logURL.path + ".ready"
        // A blocking poll on a thread of its own: on the busy pool the deadline could pass between two looks.
        return try await TestEnvironment.onOwnThread {
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline {
                if FileManager.default.fileExists(atPath: ready) { return true }
                if !child.isRunning { return false }
                usleep(10_000)
            }
            return FileManager.default.fileExists(atPath: ready)
        }
    }

    /// Every request received so far, in order.
    public var requests: [Request] {
        guard let text = try? String(contentsOf: logURL, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(Request.self, from: Data($0.utf8)) }
    }

    /// Kills the collector (SIGKILL: the child inherits a blocked SIGTERM from the test's threads, see RedisServer)
    /// and removes its directory, without waiting for the process to end: for `defer` and `deinit`.
    public func stop() {
        process.withLockedValue { $0 }?.send(SIGKILL)
        try? FileManager.default.removeItem(at: directory)
    }

    /// Stops the collector as `stop()` does and returns once the process has ended: nothing listens on the port.
    public func stopAndWait() async {
        let child = process.withLockedValue { current in
            defer { current = nil }
            return current
        }
        if let child {
            child.send(SIGKILL)
            await child.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }
}
