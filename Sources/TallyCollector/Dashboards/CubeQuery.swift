import Foundation
import InternalEvents

/// A `cube_analytics` query as GitLab's visualizations write it (Cube's query format): `measures`, `dimensions`,
/// `timeDimensions` (`dimension`, `granularity`, `dateRange`), `filters` (`member`, `operator`, `values`, or
/// `and`/`or` lists), `order`, `limit`, `offset`, `timezone` (UTC only). Every member belongs to one cube of
/// `CubeSchema`.
struct CubeQuery: Sendable {
    enum Granularity: String, Sendable, CaseIterable {
        case hour, day, week, month, quarter, year
    }

    /// A query's own date range: two days, or words such as `last 7 days` (resolved against today).
    enum QueryDateRange: Sendable {
        case days(CalendarDay, CalendarDay)
        case relative(String)

        static let words = [
            "today", "yesterday", "this week", "this month", "this year", "last week", "last month", "last year",
            "last N days", "last N weeks",
        ]

        /// The first and last day, both included.
        func resolve(today: CalendarDay) -> (from: CalendarDay, to: CalendarDay)? {
            switch self {
            case .days(let from, let to): return (from, to)
            case .relative(let text):
                let (year, month, _) = ISOWeek.civilDate(fromDay: today.number)
                let monthStart = InternalCalendar.day(year, month, 1)
                switch text {
                case "today": return (today, today)
                case "yesterday": return (today.adding(days: -1), today.adding(days: -1))
                case "this week": return (today.monday, today)
                case "this month": return (monthStart, today)
                case "this year": return (InternalCalendar.day(year, 1, 1), today)
                case "last week": return (today.monday.adding(days: -7), today.monday.adding(days: -1))
                case "last month":
                    return (InternalCalendar.day(year, month - 1, 1), monthStart.adding(days: -1))
                case "last year":
                    return (InternalCalendar.day(year - 1, 1, 1), InternalCalendar.day(year, 1, 1).adding(days: -1))
                default:
                    let words = text.split(separator: " ")
                    guard words.count == 3, words[0] == "last", let count = Int(words[1]), (1...3_660).contains(count)
                    else { return nil }
                    switch words[2] {
                    case "days", "day": return (today.adding(days: 1 - count), today)
                    case "weeks", "week": return (today.adding(days: 1 - 7 * count), today)
                    default: return nil
                    }
                }
            }
        }
    }

    struct TimeDimension: Sendable {
        var member: String
        var granularity: Granularity?
        var dateRange: QueryDateRange?
    }

    enum Operator: String, Sendable, CaseIterable {
        case equals, notEquals, contains, notContains, startsWith, endsWith, gt, gte, lt, lte, set, notSet
        case inDateRange, notInDateRange, beforeDate, afterDate

        var takesValues: Bool { self != .set && self != .notSet }
        var isDate: Bool { [.inDateRange, .notInDateRange, .beforeDate, .afterDate].contains(self) }
    }

    indirect enum Filter: Sendable {
        case member(String, Operator, [String])
        case and([Filter])
        case or([Filter])
    }

    var cube: CubeSchema.Cube
    var measures: [String]
    var dimensions: [String]
    var timeDimensions: [TimeDimension]
    var filters: [Filter]
    var order: [(member: String, ascending: Bool)]
    var limit: Int
    var offset: Int

    static let defaultLimit = 1_000
    static let maximumLimit = 10_000

    /// The time dimensions drawn on an axis (those with a granularity).
    var groupedTimes: [TimeDimension] { timeDimensions.filter { $0.granularity != nil } }

    /// Reads a query, naming every problem; nil when there were any.
    static func parse(_ tree: YAMLTree, _ path: String, _ check: YAMLChecker) -> CubeQuery? {
        let before = check.issues.count
        guard
            let fields = check.mapping(
                tree, path,
                allowed: [
                    "measures", "dimensions", "timeDimensions", "filters", "order", "limit", "offset", "timezone",
                ])
        else { return nil }
        var cubeName: String?
        var cube: CubeSchema.Cube?
        /// Checks a member's name and kind, and that the query stays in one cube.
        func member(_ name: String, _ tree: YAMLTree, _ at: String, kinds: [CubeSchema.Kind]) -> Bool {
            guard let resolved = CubeSchema.resolve(name) else {
                let expected = kinds.flatMap(CubeSchema.names(of:))
                check.fail(tree, at, "unknown member \"\(name)\"; known: \(expected.joined(separator: ", "))")
                return false
            }
            guard kinds.contains(resolved.member.kind) else {
                check.fail(
                    tree, at,
                    "\(name) is a \(resolved.member.kind), not a \(kinds.map { "\($0)" }.joined(separator: " or "))")
                return false
            }
            let thisCube = String(name.split(separator: ".")[0])
            let canonical = resolved.cube.name
            if let cubeName, cube?.name != canonical {
                check.fail(tree, at, "\(name) is in another cube than \(cubeName); a query reads one cube")
                return false
            }
            if cubeName == nil {
                cubeName = thisCube
                cube = resolved.cube
            }
            return true
        }
        func names(_ key: String, kinds: [CubeSchema.Kind]) -> [String] {
            guard let items = check.list(fields[key], YAMLChecker.join(path, key)) else { return [] }
            return items.enumerated().compactMap { index, item in
                let at = "\(YAMLChecker.join(path, key))[\(index)]"
                guard let name = check.string(item, at), member(name, item, at, kinds: kinds) else { return nil }
                return name
            }
        }
        let measures = names("measures", kinds: [.measure])
        let dimensions = names("dimensions", kinds: [.dimension])
        var times: [TimeDimension] = []
        if let items = check.list(fields["timeDimensions"], YAMLChecker.join(path, "timeDimensions")) {
            for (index, item) in items.enumerated() {
                let at = "\(YAMLChecker.join(path, "timeDimensions"))[\(index)]"
                guard
                    let entry = check.mapping(
                        item, at, allowed: ["dimension", "granularity", "dateRange", "compareDateRange"],
                        required: ["dimension"]),
                    let name = check.string(entry["dimension"], "\(at).dimension"),
                    member(name, entry["dimension"]!, "\(at).dimension", kinds: [.time])
                else { continue }
                if entry["compareDateRange"] != nil {
                    check.fail(
                        item, "\(at).compareDateRange",
                        "not supported; dashboards compare with the previous period themselves")
                }
                let granularity = check.oneOf(
                    entry["granularity"], "\(at).granularity", Granularity.allCases.map(\.rawValue)
                ).flatMap(Granularity.init(rawValue:))
                times.append(
                    TimeDimension(
                        member: name, granularity: granularity,
                        dateRange: dateRange(entry["dateRange"], "\(at).dateRange", check)))
            }
        }
        var filters: [Filter] = []
        if let items = check.list(fields["filters"], YAMLChecker.join(path, "filters")) {
            for (index, item) in items.enumerated() {
                if let filter = self.filter(item, "\(YAMLChecker.join(path, "filters"))[\(index)]", check, member) {
                    filters.append(filter)
                }
            }
        }
        var limit = defaultLimit
        if let value = check.integer(fields["limit"], YAMLChecker.join(path, "limit")) {
            if (1...maximumLimit).contains(value) {
                limit = value
            } else {
                check.fail(fields["limit"]!, YAMLChecker.join(path, "limit"), "must be 1…\(maximumLimit)")
            }
        }
        let offset = check.integer(fields["offset"], YAMLChecker.join(path, "offset")) ?? 0
        if offset < 0 { check.fail(fields["offset"]!, YAMLChecker.join(path, "offset"), "must not be negative") }
        if let zone = fields["timezone"], let name = check.string(zone, YAMLChecker.join(path, "timezone")),
            name != "UTC",
            name != "Etc/UTC"
        {
            check.fail(
                zone, YAMLChecker.join(path, "timezone"), "only UTC is supported (weeks and days are UTC), got \(name)")
        }
        let selected = Set(measures + dimensions + times.filter { $0.granularity != nil }.map(\.member))
        var order: [(String, Bool)] = []
        if let orderTree = fields["order"] {
            let at = YAMLChecker.join(path, "order")
            var pairs: [(String, YAMLTree)] = []
            switch orderTree.value {
            case .mapping(let entries): pairs = entries.map { ($0.key, $0.value) }
            case .list(let items):
                for (index, item) in items.enumerated() {
                    guard let pair = check.strings(item, "\(at)[\(index)]"), pair.count == 2 else {
                        check.fail(item, "\(at)[\(index)]", "expected [member, asc|desc]")
                        continue
                    }
                    pairs.append((pair[0], YAMLTree(value: .string(pair[1]), line: item.line)))
                }
            default: check.fail(orderTree, at, "expected a mapping of member: asc|desc")
            }
            for (name, direction) in pairs {
                guard selected.contains(name) else {
                    check.fail(direction, "\(at).\(name)", "orders by a member the query doesn't select")
                    continue
                }
                if let value = check.oneOf(direction, "\(at).\(name)", ["asc", "desc"]) {
                    order.append((name, value == "asc"))
                }
            }
        }
        if measures.isEmpty && dimensions.isEmpty && times.allSatisfy({ $0.granularity == nil }) {
            check.fail(tree, path, "selects nothing: give measures, dimensions or a time dimension with a granularity")
        }
        guard check.issues.count == before, let cube else { return nil }
        return CubeQuery(
            cube: cube, measures: measures, dimensions: dimensions, timeDimensions: times, filters: filters,
            order: order, limit: limit, offset: max(offset, 0))
    }

    private static func dateRange(_ tree: YAMLTree?, _ path: String, _ check: YAMLChecker) -> QueryDateRange? {
        guard let tree else { return nil }
        if let text = tree.string {
            let range = QueryDateRange.relative(text.lowercased())
            guard range.resolve(today: CalendarDay(number: 0)) != nil else {
                check.fail(
                    tree, path,
                    "\"\(text)\" is not a date range; use [YYYY-MM-DD, YYYY-MM-DD] or one of \(QueryDateRange.words.joined(separator: ", "))"
                )
                return nil
            }
            return range
        }
        guard let days = check.strings(tree, path) else { return nil }
        guard days.count == 2, let from = CalendarDay(days[0].prefix(10)), let to = CalendarDay(days[1].prefix(10)),
            from <= to
        else {
            check.fail(tree, path, "expected [first day, last day] as YYYY-MM-DD, the first not after the last")
            return nil
        }
        return .days(from, to)
    }

    private static func filter(
        _ tree: YAMLTree, _ path: String, _ check: YAMLChecker,
        _ member: (String, YAMLTree, String, [CubeSchema.Kind]) -> Bool
    ) -> Filter? {
        guard case .mapping(let entries) = tree.value else {
            check.fail(tree, path, "expected a mapping (member, operator, values) or and/or")
            return nil
        }
        let keys = Set(entries.map(\.key))
        if keys == ["and"] || keys == ["or"] {
            let key = keys.first!
            guard let items = check.list(entries[0].value, "\(path).\(key)") else { return nil }
            let parts = items.enumerated().compactMap { filter($1, "\(path).\(key)[\($0)]", check, member) }
            guard parts.count == items.count else { return nil }
            return key == "and" ? .and(parts) : .or(parts)
        }
        guard
            let fields = check.mapping(
                tree, path, allowed: ["member", "dimension", "operator", "values"], required: ["operator"])
        else { return nil }
        let memberTree = fields["member"] ?? fields["dimension"]
        guard let memberTree else {
            check.fail(tree, "\(path).member", "required")
            return nil
        }
        guard let name = check.string(memberTree, "\(path).member"),
            let operatorName = check.oneOf(fields["operator"], "\(path).operator", Operator.allCases.map(\.rawValue)),
            let op = Operator(rawValue: operatorName),
            member(name, memberTree, "\(path).member", [.dimension, .time, .measure])
        else { return nil }
        var values: [String] = []
        if let list = check.list(fields["values"], "\(path).values") {
            for (index, item) in list.enumerated() {
                switch item.value {
                case .string(let text): values.append(text)
                case .integer(let number): values.append(String(number))
                case .number(let number): values.append(String(number))
                case .bool(let flag): values.append(flag ? "true" : "false")
                default: check.fail(item, "\(path).values[\(index)]", "expected a string or number, found \(item.kind)")
                }
            }
        }
        let resolved = CubeSchema.resolve(name)!
        if resolved.member.kind == .measure {
            check.fail(memberTree, "\(path).member", "filters on measures are not supported; filter on a dimension")
            return nil
        }
        if op.takesValues && values.isEmpty {
            check.fail(tree, "\(path).values", "\(op.rawValue) needs values")
            return nil
        }
        if op.isDate != (resolved.member.kind == .time) {
            check.fail(
                fields["operator"]!, "\(path).operator",
                op.isDate
                    ? "\(op.rawValue) needs a time member"
                    : "use inDateRange, notInDateRange, beforeDate or afterDate on a time")
            return nil
        }
        if op.isDate {
            let needed = op == .inDateRange || op == .notInDateRange ? 2 : 1
            guard values.count == needed, values.allSatisfy({ CalendarDay($0.prefix(10)) != nil }) else {
                check.fail(tree, "\(path).values", "\(op.rawValue) takes \(needed) day(s) as YYYY-MM-DD")
                return nil
            }
        }
        if [.gt, .gte, .lt, .lte].contains(op) || (resolved.member.isNumeric && [.equals, .notEquals].contains(op)) {
            guard resolved.member.isNumeric, values.allSatisfy({ Double($0) != nil }) else {
                check.fail(
                    tree, "\(path).values",
                    resolved.member.isNumeric
                        ? "\(name) is a number: give numbers" : "\(op.rawValue) compares numbers; \(name) is text")
                return nil
            }
        }
        return .member(name, op, values)
    }
}

/// Calendar arithmetic for date ranges (UTC, proleptic Gregorian).
enum InternalCalendar {
    /// A day of a month; months outside 1…12 roll into the next or previous year.
    static func day(_ year: Int, _ month: Int, _ dayOfMonth: Int) -> CalendarDay {
        let shifted = month - 1
        let normalizedYear = year + (shifted >= 0 ? shifted / 12 : (shifted - 11) / 12)
        let normalizedMonth = ((shifted % 12) + 12) % 12 + 1
        return CalendarDay(number: ISOWeek.day(year: normalizedYear, month: normalizedMonth, day: dayOfMonth))
    }
}
