import Foundation
import SQLiteKit

/// PostgreSQL's `date_trunc(unit, time)` for SQLite, where the warehouse keeps times as ISO 8601 text (UTC): the
/// time cut down to the start of its `year`, `quarter`, `month`, `week` (Monday), `day`, `hour`, `minute` or
/// `second`, in the same text form. A NULL time gives NULL; an unknown unit or a time that isn't ISO 8601 is an
/// error naming it.
enum SQLiteDateFunctions {
    static let all = [dateTrunc, urlPath]

    /// `tally_url_path(url)`: the path of a URL, without scheme, host, query or fragment (`/a/b` of
    /// `https://x.example/a/b?c#d`), as the dashboards' `pageUrlpath` dimension reads it; NULL stays NULL.
    static let urlPath = SQLiteCustomFunction("tally_url_path", argumentCount: 1, pure: true) { arguments in
        guard case .text(let url) = arguments[0] else { return nil as String? }
        return path(ofURL: url)
    }

    static func path(ofURL url: String) -> String {
        var rest = Substring(url)
        if let scheme = rest.range(of: "://"),
            rest[..<scheme.lowerBound].allSatisfy({ $0.isLetter || $0.isNumber || "+.-".contains($0) })
        {
            rest = rest[scheme.upperBound...]
            rest = rest.firstIndex(of: "/").map { rest[$0...] } ?? ""
        }
        if let end = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) { rest = rest[..<end] }
        return String(rest)
    }

    static let dateTrunc = SQLiteCustomFunction("date_trunc", argumentCount: 2, pure: true) { arguments in
        guard case .text(let unit) = arguments[0] else {
            throw SQLiteFunctionError(description: "date_trunc: the unit must be text ('week', 'day', …)")
        }
        switch arguments[1] {
        case .null: return nil as String?
        case .text(let time): return try truncate(time, to: unit.lowercased())
        default: throw SQLiteFunctionError(description: "date_trunc: the time must be ISO 8601 text")
        }
    }

    static let units = ["year", "quarter", "month", "week", "day", "hour", "minute", "second"]

    static func truncate(_ time: String, to unit: String) throws -> String {
        guard units.contains(unit) else {
            throw SQLiteFunctionError(
                description: "date_trunc: unknown unit '\(unit)' (expected \(units.joined(separator: ", ")))")
        }
        let digits = time.utf8.map { $0 }
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= digits.count else { return nil }
            var value = 0
            for byte in digits[range] {
                guard (48...57).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10) else {
            throw SQLiteFunctionError(description: "date_trunc: '\(time)' is not an ISO 8601 time")
        }
        var parts = [year, month, day, number(11..<13) ?? 0, number(14..<16) ?? 0, number(17..<19) ?? 0]
        switch unit {
        case "year": parts = [year, 1, 1, 0, 0, 0]
        case "quarter": parts = [year, (month - 1) / 3 * 3 + 1, 1, 0, 0, 0]
        case "month": parts = [year, month, 1, 0, 0, 0]
        case "week":
            var calendar = Calendar(identifier: .iso8601)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            guard let date = calendar.date(from: DateComponents(year: year, month: month, day: day)) else {
                throw SQLiteFunctionError(description: "date_trunc: '\(time)' is not a date")
            }
            let monday = date.addingTimeInterval(-Double((calendar.component(.weekday, from: date) + 5) % 7) * 86_400)
            let components = calendar.dateComponents([.year, .month, .day], from: monday)
            parts = [components.year!, components.month!, components.day!, 0, 0, 0]
        case "day": parts[3...] = [0, 0, 0]
        case "hour": parts[4...] = [0, 0]
        case "minute": parts[5] = 0
        default: break
        }
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.000Z", parts[0], parts[1], parts[2], parts[3], parts[4], parts[5])
    }
}

/// An error a SQL function of Tally's raises inside SQLite; the query fails with its text.
struct SQLiteFunctionError: Error, CustomStringConvertible {
    var description: String
}
