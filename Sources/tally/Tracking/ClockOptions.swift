import ArgumentParser
import Foundation
import InternalEvents

/// `--at ISO8601` (or `TALLY_NOW`): pins the clock, for backfills and tests.
struct ClockOptions: ParsableArguments {
    @Option(help: "Pretend it is this time (ISO 8601, e.g. 2025-02-12T10:00:00Z). Default: $TALLY_NOW, else now.")
    var at: String?

    func clock() throws -> any WallClock {
        let (text, source) =
            at.map { ($0, "--at") }
            ?? (ProcessInfo.processInfo.environment["TALLY_NOW"].map { ($0, "TALLY_NOW") } ?? ("", ""))
        if text.isEmpty { return SystemWallClock() }
        guard let date = Self.parse(text) else {
            throw ValidationError(
                "\(source): \"\(text)\" is not an ISO 8601 time like 2025-02-12T10:00:00Z or 2025-02-12")
        }
        return FixedWallClock(date)
    }

    static func parse(_ text: String) -> Date? {
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        return plain.date(from: text) ?? withFraction.date(from: text) ?? day.date(from: text)
    }
}
