import Foundation

/// An ISO-8601 week in UTC: the week-based year and the week number, as GitLab writes them with `%G-%V`.
///
/// Weeks start on Monday; week 1 is the week with the year's first Thursday. So 2025-12-29 is in `2026-01` and
/// 2021-01-03 in `2020-53`. Computed with integer arithmetic (no `Calendar`), because `track` needs it per event.
public struct ISOWeek: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The ISO week-based year (`%G`).
    public let year: Int
    /// The week, 1...53 (`%V`).
    public let week: Int
    /// Days since 1970-01-01 of this week's Monday.
    public let mondayDay: Int

    /// The week containing `date` (in UTC).
    public init(containing date: Date) {
        self.init(day: Int((date.timeIntervalSince1970 / 86_400).rounded(.down)))
    }

    /// The Monday (days since 1970-01-01) of the week containing `date`, without computing year and number.
    public static func mondayDay(containing date: Date) -> Int {
        let day = Int((date.timeIntervalSince1970 / 86_400).rounded(.down))
        return day - floorMod(day + 3, 7)
    }

    /// The week containing the day `day` (days since 1970-01-01, UTC).
    public init(day: Int) {
        // 1970-01-01 was a Thursday; ISO weekday 1 = Monday … 7 = Sunday.
        let weekday = Self.floorMod(day + 3, 7) + 1
        let thursday = day - weekday + 4
        let year = Self.civilDate(fromDay: thursday).year
        let dayOfYear = thursday - Self.day(year: year, month: 1, day: 1)
        self.year = year
        self.week = dayOfYear / 7 + 1
        self.mondayDay = day - weekday + 1
    }

    /// `2025-07`: the key suffix without its leading dash.
    public var description: String {
        week < 10 ? "\(year)-0\(week)" : "\(year)-\(week)"
    }

    /// The week `count` weeks later (earlier when negative).
    public func adding(weeks count: Int) -> ISOWeek {
        ISOWeek(day: mondayDay + 7 * count)
    }

    /// The weeks a metric of `frame` reads when the ping runs in this week: 7d → the last complete week,
    /// 28d → the last four complete weeks (oldest first); none for `all` and `none`. The current week is never read.
    public func completeWeeks(for frame: TimeFrame) -> [ISOWeek] {
        switch frame {
        case .sevenDays: [adding(weeks: -1)]
        case .twentyEightDays: (1...4).reversed().map { adding(weeks: -$0) }
        case .all, .none: []
        }
    }

    public static func < (lhs: ISOWeek, rhs: ISOWeek) -> Bool { lhs.mondayDay < rhs.mondayDay }

    // Howard Hinnant's days-from-civil and civil-from-days algorithms (proleptic Gregorian calendar).

    /// Days since 1970-01-01 of a date of the proleptic Gregorian calendar (any month and day numbers: 2025-02-30
    /// is 2025-03-02).
    public static func day(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let shiftedMonth = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The proleptic Gregorian date of a day (days since 1970-01-01).
    public static func civilDate(fromDay day: Int) -> (year: Int, month: Int, day: Int) {
        let z = day + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let dayOfMonth = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, dayOfMonth)
    }

    private static func floorMod(_ value: Int, _ modulus: Int) -> Int {
        let remainder = value % modulus
        return remainder < 0 ? remainder + modulus : remainder
    }
}
