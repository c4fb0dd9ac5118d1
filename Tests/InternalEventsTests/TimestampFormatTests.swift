import Foundation
import InternalEvents
import Testing

/// `JSONValue.formatTimestamp` computes what Foundation's ISO 8601 formatter writes (UTC, milliseconds), without
/// making a formatter per call.
@Suite("timestamps as Rails writes them")
struct TimestampFormatTests {
    static let foundation: @Sendable (Date) -> String = { date in
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    @Test func matchesFoundationOnKnownTimes() {
        let cases: [(Double, String)] = [
            (0, "1970-01-01T00:00:00.000Z"), (1_740_048_243.12, "2025-02-20T10:44:03.120Z"),
            (951_782_400, "2000-02-29T00:00:00.000Z"), (-1, "1969-12-31T23:59:59.000Z"),
            (-1.5, "1969-12-31T23:59:58.500Z"), (253_402_300_799.999, "9999-12-31T23:59:59.999Z"),
            (1_740_048_243.1239, "2025-02-20T10:44:03.124Z"), (-1_217_614_638.7915, "1931-06-02T05:42:41.209Z"),
            (-0.0005, "1970-01-01T00:00:00.000Z"),
        ]
        for (seconds, expected) in cases {
            #expect(JSONValue.formatTimestamp(Date(timeIntervalSince1970: seconds)) == expected, "\(seconds)")
        }
    }

    @Test func matchesFoundationOnRandomTimes() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5_000 {
            let date = Date(timeIntervalSince1970: Double.random(in: -2_000_000_000...4_000_000_000, using: &generator))
            #expect(JSONValue.formatTimestamp(date) == Self.foundation(date), "\(date.timeIntervalSince1970)")
        }
    }

    /// Times that fall on (or within a rounding error of) half a millisecond, where the direction of rounding shows.
    @Test func matchesFoundationOnHalfMilliseconds() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5_000 {
            let milliseconds = Int64.random(in: -2_000_000_000_000...4_000_000_000_000, using: &generator)
            let date = Date(timeIntervalSince1970: (Double(milliseconds) + 0.5) / 1_000)
            #expect(JSONValue.formatTimestamp(date) == Self.foundation(date), "\(date.timeIntervalSince1970)")
        }
    }
}
