import ArgumentParser
import Foundation
import InternalEvents
import ServicePing

/// `tally ping --export FILE`: the pings stored in raw_usage_data, one JSON payload per line, for an instance that
/// can't reach a collector (`tally collect import FILE` loads them on the other side).
struct PingExport {
    /// Where to write (`-`: standard output).
    var file: String
    /// Only pings never submitted.
    var unsentOnly: Bool

    func run(database configuration: DatabaseConfiguration) async throws {
        let unsent = unsentOnly
        let rows = try await AppDatabase.withDatabase(configuration) { connection in
            let store = RawUsageDataStore(connection)
            try await store.migrate()
            return try await unsent ? store.unsent() : store.all()
        }
        // One line per ping: the stored payload, compacted if it was stored indented.
        var lines = ""
        for row in rows {
            let line = (try? JSONDecoder().decode(JSONValue.self, from: Data(row.payload.utf8)))?.serialized()
            lines += (line ?? row.payload.replacingOccurrences(of: "\n", with: " ")) + "\n"
        }
        if file == "-" {
            FileHandle.standardOutput.write(Data(lines.utf8))
        } else {
            do {
                try Data(lines.utf8).write(to: URL(fileURLWithPath: file), options: .atomic)
            } catch {
                StandardError.print("tally ping --export: can't write \(file): \(error.localizedDescription)")
                throw ExitCode.failure
            }
        }
        let what = unsentOnly ? "unsent ping" : "stored ping"
        StandardError.print(
            "tally ping --export: \(rows.count) \(what)\(rows.count == 1 ? "" : "s") from \(configuration.redactedURL)"
                + (file == "-" ? "" : " written to \(file)"))
    }
}
