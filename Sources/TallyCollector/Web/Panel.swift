import InternalEvents

/// One panel of a page or dashboard: a title, how to draw it, and the rows it draws (kept for its table and its
/// CSV, so what a chart shows, its table and its export are the same numbers).
///
/// For the charts, the first column holds the labels of the x axis (days, weeks, event names) and every further
/// column is one series of numbers.
struct Panel: Sendable {
    enum Visualization: String, Sendable {
        case lineChart = "LineChart"
        case areaChart = "AreaChart"
        case columnChart = "ColumnChart"
        case dataTable = "DataTable"
        case singleStat = "SingleStat"
    }

    /// Names the panel in its page's CSV links (`?panel=daily&format=csv`).
    var id: String
    var title: String
    var visualization: Visualization
    var result: QueryResult
    /// Digits after the decimal point for numbers that aren't whole.
    var decimalPlaces = 2
    /// Series drawn dashed and grey (the previous period), by column index.
    var comparisonColumns: Set<Int> = []
    /// A line under the title (what is counted, what was left out).
    var note: String?
    /// Table cells of one column that link somewhere (a metric's key path to its chart), by the cell's row.
    var link: Link?
    /// The axes' names, drawn beside them (a visualization's `options.xAxis.name` / `yAxis.name`).
    var xAxisName: String?
    var yAxisName: String?
    /// Column headings for people (the result's columns name members, such as `TrackedEvents.count`, for exports).
    var titles: [String]?

    struct Link: Sendable {
        var column: Int
        /// The target for a row; nil leaves the cell as text.
        var url: @Sendable ([JSONValue]) -> String?
    }

    /// The heading of column `index`.
    func title(ofColumn index: Int) -> String {
        if let titles, index < titles.count { return titles[index] }
        return result.columns[index]
    }

    /// The panel's rows as CSV (RFC 4180, CRLF line ends, a header row).
    var csv: String { CSV.document(result) }
}

/// How numbers and cells are written on pages and in exports.
enum CellText {
    /// `1,234`; `0.25`: whole numbers without decimals, others with at most `decimalPlaces`.
    static func number(_ value: Double, decimalPlaces: Int = 2, grouped: Bool = true) -> String {
        if value.rounded() == value, abs(value) < 1e15 {
            let whole = Int64(value)
            return grouped ? group(String(whole.magnitude), negative: whole < 0) : String(whole)
        }
        var text = String(format: "%.\(max(0, min(decimalPlaces, 10)))f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        guard grouped else { return text }
        let negative = text.hasPrefix("-")
        let unsigned = negative ? String(text.dropFirst()) : text
        let parts = unsigned.split(separator: ".", maxSplits: 1)
        return group(String(parts[0]), negative: negative) + (parts.count > 1 ? "." + parts[1] : "")
    }

    private static func group(_ digits: String, negative: Bool) -> String {
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { grouped += "," }
            grouped.append(digit)
        }
        return (negative ? "-" : "") + grouped
    }

    /// A cell as a page shows it.
    static func display(_ value: JSONValue, decimalPlaces: Int = 2) -> String {
        switch value {
        case .null: ""
        case .bool(let flag): flag ? "true" : "false"
        case .integer(let number): number.magnitude < 1 << 53 ? self.number(Double(number)) : String(number)
        case .double(let number): self.number(number, decimalPlaces: decimalPlaces)
        case .string(let text): text
        case .array, .object: value.serialized()
        }
    }

    /// A cell as an export writes it: numbers in full, without grouping.
    static func plain(_ value: JSONValue) -> String {
        switch value {
        case .null: ""
        case .integer(let number): String(number)
        case .double(let number): number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : "\(number)"
        default: display(value)
        }
    }

    /// The cell as a number, for charts; nil for text and nulls.
    static func numeric(_ value: JSONValue) -> Double? {
        switch value {
        case .integer(let number): Double(number)
        case .double(let number): number.isFinite ? number : nil
        case .bool(let flag): flag ? 1 : 0
        default: nil
        }
    }
}

/// CSV as spreadsheets read it.
enum CSV {
    static func document(_ result: QueryResult) -> String {
        var text = result.columns.map { field($0) }.joined(separator: ",") + "\r\n"
        for row in result.rows {
            text +=
                row.map { value in
                    if case .string(let string) = value { return field(string) }
                    return field(CellText.plain(value))
                }.joined(separator: ",") + "\r\n"
        }
        return text
    }

    /// Quoted when it holds a comma, quote or line break. Text a spreadsheet would run as a formula (starting with
    /// `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, so an event name can't become one.
    static func field(_ text: String) -> String {
        var value = text
        if let first = value.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first), Double(value) == nil {
            value = "'" + value
        }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
