import ArgumentParser
import Foundation
import TallyCollector

/// `tally collect import FILE`: loads pings an offline instance exported (`tally ping export`) into the warehouse.
struct CollectImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Load exported pings (tally ping export, or GitLab's downloaded payload) into the warehouse.",
        discussion: """
            FILE holds one ping per line (tally ping export), one ping (a downloaded payload) or a JSON array of \
            pings. A ping already in the warehouse (same uuid and recorded_at) is not stored again, so importing \
            a file twice changes nothing. Lines that aren't pings are named and skipped; the exit status is then 1.
            """
    )

    @OptionGroup var warehouse: WarehouseOptions

    @Argument(help: "The file of pings (- for standard input).")
    var file: String

    func run() async throws {
        let store = try warehouse.warehouse()
        let contents: Data
        do {
            contents =
                file == "-"
                ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            StandardError.print("tally collect import: can't read \(file): \(error.localizedDescription)")
            throw ExitCode.failure
        }
        let report: PingImportReport
        do {
            try await store.migrate()
            report = try await store.importPings(contents) { handled in
                if handled % 1_000 == 0 { StandardError.print("tally collect import: \(handled) pings…") }
            }
        } catch {
            StandardError.print(
                "tally collect import: the warehouse \(store.configuration.redactedURL) failed: \(error)")
            throw ExitCode.failure
        }
        for refusal in report.refused {
            StandardError.print("\(file):\(refusal.line): not a ping: \(refusal.reason)")
        }
        StandardError.print(
            "tally collect import: \(report.stored) stored, \(report.alreadyStored) already in the warehouse, "
                + "\(report.refused.count) refused (\(store.configuration.redactedURL))")
        if !report.refused.isEmpty { throw ExitCode.failure }
    }
}
