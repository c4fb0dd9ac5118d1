import Foundation
import InternalEvents

/// A day in UTC, as the pages' filters and axes name it: `2025-02-20`.
struct CalendarDay: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Days since 1970-01-01.
    let number: Int

    init(number: Int) { self.number = number }

    /// The day `date` falls on, in UTC.
    init(containing date: Date) { number = Int((date.timeIntervalSince1970 / 86_400).rounded(.down)) }

    /// Reads `YYYY-MM-DD`; nil for anything else, including days that don't exist (2025-02-30).
    init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.allSatisfy(\.isASCII) }),
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        number = ISOWeek.day(year: year, month: month, day: day)
        guard ISOWeek.civilDate(fromDay: number) == (year, month, day) else { return nil }
    }

    var description: String {
        let (year, month, day) = ISOWeek.civilDate(fromDay: number)
        return String(format: "%04d-%02d-%02d", year, month, day)
    }

    /// Midnight UTC at the start of the day.
    var start: Date { Date(timeIntervalSince1970: Double(number) * 86_400) }

    /// The Monday of the day's ISO week.
    var monday: CalendarDay { CalendarDay(number: ISOWeek(day: number).mondayDay) }

    func adding(days: Int) -> CalendarDay { CalendarDay(number: number + days) }

    static func < (left: CalendarDay, right: CalendarDay) -> Bool { left.number < right.number }
}
