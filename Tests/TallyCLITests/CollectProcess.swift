import Foundation
import TallyTestSupport
import Testing

/// A `tally collect` process on a free port with its warehouse in `folder`, for the CLI tests.
struct CollectProcess {
    let process: ChildProcess
    let port: Int
    let warehouseURL: String
    let log: URL

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts `tally collect --port 0` and waits for the port it prints.
    static func start(in folder: URL, warehouseURL: String? = nil) async throws -> CollectProcess {
        let warehouse = warehouseURL ?? "sqlite://" + folder.appendingPathComponent("warehouse.sqlite").path
        let log = folder.appendingPathComponent("collect.log")
        let process = try TallyBinary.launch(
            ["collect", "--port", "0", "--warehouse-url", warehouse], output: log, unblockingSignals: true)
        var port: Int?
        _ = await TestEnvironment.waitUntil {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            port = text.firstMatch(of: #/listening on http:\/\/127\.0\.0\.1:(\d+) /#).flatMap { Int($0.1) }
            return port != nil || !process.isRunning
        }
        guard let port else {
            process.send(SIGKILL)
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            throw CollectProcessError(description: "tally collect printed no port: \(text)")
        }
        return CollectProcess(process: process, port: port, warehouseURL: warehouse, log: log)
    }

    /// Rows of a `tally query --json` against the warehouse.
    func query(_ sql: String) async throws -> [[String: Any]] {
        let output = try await TallyBinary.run(["query", "--warehouse-url", warehouseURL, "--json", sql])
        guard output.status == 0 else {
            throw CollectProcessError(description: "tally query failed: \(output.standardError)")
        }
        return try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)) as? [[String: Any]] ?? []
    }

    /// The single integer a `SELECT count(*) AS n …` gives.
    func count(_ sql: String) async throws -> Int {
        try await query(sql).first?["n"] as? Int ?? -1
    }
}

struct CollectProcessError: Error, CustomStringConvertible {
    var description: String
}
