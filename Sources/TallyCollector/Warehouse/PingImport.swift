import Foundation
import InternalEvents

/// What importing a file of pings came to (`tally collect import`).
public struct PingImportReport: Sendable, Equatable {
    /// Pings stored by this import.
    public var stored = 0
    /// Pings that were already in the warehouse (same instance and `recorded_at`).
    public var alreadyStored = 0
    /// Lines that aren't a ping, with their line number (1-based) and why.
    public var refused: [(line: Int, reason: String)] = []

    public static func == (lhs: PingImportReport, rhs: PingImportReport) -> Bool {
        lhs.stored == rhs.stored && lhs.alreadyStored == rhs.alreadyStored
            && lhs.refused.map(\.line) == rhs.refused.map(\.line)
            && lhs.refused.map(\.reason) == rhs.refused.map(\.reason)
    }
}

extension Warehouse {
    /// Imports pings from a file's contents: one JSON payload per line (what `tally ping export` writes), a single
    /// payload (GitLab's "download payload", indented or not), or a JSON array of payloads. Each ping is stored at
    /// most once however often it is imported. Lines that aren't pings are reported, and the rest still imported.
    /// - Parameter progress: called after each ping with the number handled so far.
    public func importPings(
        _ contents: Data, progress: @Sendable (Int) -> Void = { _ in }
    ) async throws -> PingImportReport {
        var report = PingImportReport()
        var handled = 0
        for (line, body) in Self.pingDocuments(in: contents) {
            do {
                let ping = try ReceivedPing(body: body)
                let existing = try await writing { database in try await Self.pingID(of: ping, in: database) }
                if existing != nil {
                    report.alreadyStored += 1
                } else {
                    _ = try await store(ping)
                    report.stored += 1
                }
            } catch let invalid as ReceivedPing.Invalid {
                report.refused.append((line, invalid.description))
            }
            handled += 1
            progress(handled)
        }
        return report
    }

    /// The file's documents with the line each starts on: a whole-file object or array, else one per line.
    static func pingDocuments(in contents: Data) -> [(line: Int, body: Data)] {
        if let whole = try? JSONDecoder().decode(JSONValue.self, from: contents) {
            switch whole {
            case .array(let entries): return entries.map { (1, Data($0.serialized().utf8)) }
            default: return [(1, contents)]
            }
        }
        var documents: [(Int, Data)] = []
        for (index, line) in contents.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .enumerated()
        where !line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\t") }) {
            documents.append((index + 1, Data(line)))
        }
        return documents
    }
}
