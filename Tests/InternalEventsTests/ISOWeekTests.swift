import Foundation
import InternalEvents
import TallyTestSupport
import Testing

@Suite("ISO weeks")
struct ISOWeekTests {
    @Test(arguments: [
        ("2024-12-30", "2025-01"), ("2025-12-29", "2026-01"), ("2021-01-03", "2020-53"), ("2025-02-12", "2025-07"),
        ("2020-12-31", "2020-53"), ("2021-01-04", "2021-01"), ("2026-11-25", "2026-48"), ("1970-01-01", "1970-01"),
        ("2000-01-02", "1999-52"), ("2004-12-31", "2004-53"),
    ])
    func edges(day: String, expected: String) {
        #expect(ISOWeek(containing: TestEnvironment.day(day)).description == expected)
        #expect(
            ISOWeek(containing: TestEnvironment.day(day).addingTimeInterval(86_399)).description == expected,
            "end of the UTC day"
        )
    }

    @Test func agreesWithFoundationsISOCalendarFor60Years() {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        for day in stride(
            from: Int(TestEnvironment.day("1990-01-01").timeIntervalSince1970 / 86_400), through: 25_567, by: 1)
        {
            let date = Date(timeIntervalSince1970: Double(day) * 86_400 + 43_200)
            let week = ISOWeek(containing: date)
            let components = calendar.dateComponents([.yearForWeekOfYear, .weekOfYear], from: date)
            guard week.year == components.yearForWeekOfYear && week.week == components.weekOfYear else {
                Issue.record("day \(day) (\(date)): \(week) vs \(components)")
                return
            }
        }
    }

    @Test func readingWindowsSkipTheCurrentWeek() {
        // A ping on Thursday 2025-02-20 (week 08) reads week 07 for 7d and weeks 04–07 for 28d.
        let week = ISOWeek(containing: TestEnvironment.day("2025-02-20"))
        #expect(week.completeWeeks(for: .sevenDays).map(\.description) == ["2025-07"])
        #expect(
            week.completeWeeks(for: .twentyEightDays).map(\.description) == [
                "2025-04", "2025-05", "2025-06", "2025-07",
            ])
        #expect(week.completeWeeks(for: .all).isEmpty)
        let newYear = ISOWeek(containing: TestEnvironment.day("2026-01-08"))
        #expect(
            newYear.completeWeeks(for: .twentyEightDays).map(\.description) == [
                "2025-50", "2025-51", "2025-52", "2026-01",
            ])
    }
}
