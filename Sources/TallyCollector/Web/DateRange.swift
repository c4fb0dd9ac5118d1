/// The days a page shows, from its `range` parameter: `7d`, `30d` (the default) or `90d` ending today, or
/// `custom` with `from` and `to` (`YYYY-MM-DD`, both included). The previous period is as long and ends the day
/// before `from`, for the comparison.
struct DateRange: Sendable, Hashable {
    enum Preset: String, Sendable, CaseIterable {
        case today
        case sevenDays = "7d"
        case thirtyDays = "30d"
        case sixtyDays = "60d"
        case ninetyDays = "90d"
        case halfYear = "180d"
        case year = "365d"
        case custom

        /// Days ending today; nil for custom.
        var days: Int? {
            switch self {
            case .today: 1
            case .sevenDays: 7
            case .thirtyDays: 30
            case .sixtyDays: 60
            case .ninetyDays: 90
            case .halfYear: 180
            case .year: 365
            case .custom: nil
            }
        }

        var label: String {
            switch self {
            case .today: "Today"
            case .custom: "Custom"
            default: "Last \(days!) days"
            }
        }

        /// What the built-in pages offer.
        static let standard: [Preset] = [.sevenDays, .thirtyDays, .ninetyDays, .custom]
    }

    /// Longest custom range, so one request can't ask for a century of days.
    static let maximumDays = 3_660

    let preset: Preset
    let from: CalendarDay
    let to: CalendarDay

    init(preset: Preset, from: CalendarDay, to: CalendarDay) {
        self.preset = preset
        self.from = from
        self.to = to
    }

    /// The range a request asks for; `today` ends the presets.
    init(
        parameters: PageParameters, today: CalendarDay, default preset: Preset = .thirtyDays,
        offered: [Preset] = Preset.standard, maximumDays: Int = DateRange.maximumDays
    ) throws(PageParameters.Invalid) {
        let name = parameters["range"] ?? preset.rawValue
        guard let preset = Preset(rawValue: name), offered.contains(preset) else {
            throw .init(
                parameter: "range",
                message: "expected one of \(offered.map(\.rawValue).joined(separator: ", ")), got \"\(name)\"")
        }
        func day(_ parameter: String) throws(PageParameters.Invalid) -> CalendarDay {
            guard let text = parameters[parameter] else {
                throw .init(parameter: parameter, message: "required with range=custom (YYYY-MM-DD)")
            }
            guard let day = CalendarDay(text) else {
                throw .init(parameter: parameter, message: "expected a day as YYYY-MM-DD, got \"\(text)\"")
            }
            return day
        }
        if let days = preset.days {
            self.init(preset: preset, from: today.adding(days: 1 - days), to: today)
        } else {
            let from = try day("from")
            let to = try day("to")
            guard from <= to else {
                throw .init(parameter: "to", message: "must not be before from (\(from)), got \(to)")
            }
            guard to.number - from.number < maximumDays else {
                throw .init(parameter: "to", message: "a range is at most \(maximumDays) days")
            }
            self.init(preset: preset, from: from, to: to)
        }
    }

    /// Number of days, both ends included.
    var dayCount: Int { to.number - from.number + 1 }

    /// Every day, oldest first.
    var days: [CalendarDay] { (from.number...to.number).map(CalendarDay.init(number:)) }

    /// The Mondays of the weeks the range touches, oldest first.
    var weeks: [CalendarDay] {
        stride(from: from.monday.number, through: to.number, by: 7).map(CalendarDay.init(number:))
    }

    /// As long, just before.
    var previous: DateRange {
        DateRange(preset: preset, from: from.adding(days: -dayCount), to: from.adding(days: -1))
    }

    /// `from=…&to=…` or `range=7d`: what links keep.
    var parameters: [(String, String)] {
        preset == .custom ? [("range", "custom"), ("from", "\(from)"), ("to", "\(to)")] : [("range", preset.rawValue)]
    }
}
