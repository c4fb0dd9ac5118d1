import Foundation
import InternalEvents
import SQLKit

/// `/dashboards/NAME`: a GitLab-format dashboard, each panel's query run against the warehouse (all on one
/// read-only connection) and drawn as its visualization says.
///
/// With the dashboard's `dateRange` filter enabled, the page has a range (`range`, `from`, `to`, limited to the
/// file's `options`) that replaces the queries' own date ranges, and single stats compare with the period before;
/// with `excludeAnonymousUsers`, a checkbox (`exclude_anonymous=1`) drops events without a user. A panel whose query
/// fails shows the database's message; the rest of the page still renders.
struct DashboardPage: Sendable {
    static let path = "/dashboards"

    let dashboard: DashboardDefinition
    let range: DateRange?
    let excludeAnonymous: Bool
    let today: CalendarDay

    init(dashboard: DashboardDefinition, parameters: PageParameters, today: CalendarDay) throws(PageParameters.Invalid)
    {
        self.dashboard = dashboard
        self.today = today
        let filter = dashboard.dateRange
        if filter.enabled {
            let offered = filter.options.isEmpty ? DateRange.Preset.standard : filter.options
            range = try DateRange(
                parameters: parameters, today: today, default: filter.defaultOption ?? offered.first ?? .thirtyDays,
                offered: offered, maximumDays: filter.numberOfDaysLimit ?? DateRange.maximumDays)
        } else {
            range = nil
        }
        excludeAnonymous = dashboard.excludeAnonymousUsers && parameters["exclude_anonymous"] == "1"
    }

    /// `p1`, `p2`, …: a panel's id in CSV links.
    static func panelID(_ index: Int) -> String { "p\(index + 1)" }

    func load(_ warehouse: Warehouse) async throws -> [Panel] {
        try await warehouse.reading(readOnly: true) { reader in
            var panels: [Panel] = []
            for (index, definition) in dashboard.panels.enumerated() {
                do {
                    panels.append(try await panel(index, definition, reader))
                } catch {
                    panels.append(
                        Panel(
                            id: Self.panelID(index), title: definition.title, visualization: .dataTable,
                            result: QueryResult(columns: ["error"], rows: [[.string(Warehouse.explain(error))]]),
                            note: "This panel's query failed."))
                }
            }
            return panels
        }
    }

    private func panel(
        _ index: Int, _ definition: DashboardDefinition.PanelDefinition, _ reader: WarehouseReader
    ) async throws -> Panel {
        let visualization = definition.visualization
        let decimalPlaces =
            definition.decimalPlaces ?? visualization.decimalPlaces ?? (visualization.kind == .singleStat ? 0 : 2)
        var panel = Panel(
            id: Self.panelID(index), title: definition.title, visualization: visualization.kind.panelKind,
            result: QueryResult(columns: [], rows: []), decimalPlaces: decimalPlaces)
        switch visualization.data {
        case .cube(let query):
            let sql = cubeSQL(query)
            let result = try await sql.run(reader)
            let columns = sql.columns
            switch visualization.kind {
            case .singleStat:
                let measure = columns.firstIndex(where: \.isMeasure) ?? 0
                let value = result.rows.first.map { $0[measure] } ?? .integer(0)
                var row: [JSONValue] = [value == .null ? .integer(0) : value]
                var names = [result.columns.indices.contains(measure) ? result.columns[measure] : "value"]
                if let before = previousPeriodSQL(query) {
                    let previous = try await before.run(reader).rows.first.map { $0[measure] } ?? .integer(0)
                    row.append(previous == .null ? .integer(0) : previous)
                    names.append("previous period")
                }
                panel.result = QueryResult(columns: names, rows: [row])
            case .dataTable:
                panel.result = result
                panel.titles = columns.map(\.title)
                panel.link = link(visualization.links, columns: result.columns)
            case .lineChart, .areaChart, .columnChart:
                (panel.result, panel.titles) = Self.chartSeries(result, columns)
            }
        case .sql(let text):
            let result = try await reader.rows(sqlStatement(text, reader))
            panel.result = result
            if visualization.kind == .singleStat, let first = result.rows.first {
                panel.result = QueryResult(columns: Array(result.columns.prefix(1)), rows: [Array(first.prefix(1))])
            }
            if visualization.kind == .dataTable { panel.link = link(visualization.links, columns: result.columns) }
        }
        panel.xAxisName = visualization.xAxisName
        panel.yAxisName = visualization.yAxisName
        return panel
    }

    /// A cube query over the page's range (its own, without a range filter).
    func cubeSQL(_ query: CubeQuery) -> CubeSQL {
        CubeSQL(
            query: query, range: range.map { ($0.from, $0.to) }, excludeAnonymousUsers: excludeAnonymous, today: today)
    }

    /// The same query over the previous period, for a single stat's comparison; nil without a range filter.
    func previousPeriodSQL(_ query: CubeQuery) -> CubeSQL? {
        range.map {
            CubeSQL(
                query: query, range: ($0.previous.from, $0.previous.to), excludeAnonymousUsers: excludeAnonymous,
                today: today)
        }
    }

    /// A `sql` visualization's statement over the page's range (the last 30 days without a range filter).
    func sqlStatement(_ text: String, _ reader: WarehouseReader) -> SQLQueryString {
        let from = (range?.from ?? today.adding(days: -29)).start
        let to = (range?.to ?? today).adding(days: 1).start
        return Self.statement(text, from: from, to: to, reader)
    }

    /// `{{from}}` and `{{to}}` in a `sql` visualization as bound times.
    static func statement(_ text: String, from: Date, to: Date, _ reader: WarehouseReader) -> SQLQueryString {
        var statement: SQLQueryString = ""
        var rest = Substring(text)
        while true {
            let candidates = [(rest.range(of: "{{from}}"), from), (rest.range(of: "{{to}}"), to)]
                .compactMap { range, time in range.map { ($0, time) } }
            guard let (range, time) = candidates.min(by: { $0.0.lowerBound < $1.0.lowerBound }) else { break }
            statement += "\(unsafeRaw: String(rest[..<range.lowerBound]))\(reader.time(time))"
            rest = rest[range.upperBound...]
        }
        statement += "\(unsafeRaw: String(rest))"
        return statement
    }

    /// For a chart: x labels first, then one column per series. A time with a dimension draws one series per
    /// value of the dimension (the 8 largest by the first measure); otherwise each measure is a series.
    static func chartSeries(_ result: QueryResult, _ columns: [CubeSQL.Column]) -> (QueryResult, [String]) {
        let measures = columns.indices.filter { columns[$0].isMeasure }
        let keys = columns.indices.filter { !columns[$0].isMeasure }
        guard let x = keys.first else {
            let row = measures.map { result.rows.first?[$0] ?? .integer(0) }
            return (
                QueryResult(
                    columns: ["measure", "value"],
                    rows: zip(measures, row).map { [.string(columns[$0].title), $1] }),
                ["", "value"]
            )
        }
        guard columns[x].granularity != nil, keys.count > 1, let measure = measures.first else {
            let kept = [x] + measures
            return (
                QueryResult(
                    columns: kept.map { result.columns[$0] }, rows: result.rows.map { row in kept.map { row[$0] } }),
                kept.map { columns[$0].title }
            )
        }
        let series = keys[1]
        var totals: [String: Double] = [:]
        var labels: [String] = []
        var cells: [String: [String: JSONValue]] = [:]
        for row in result.rows {
            let label = CellText.display(row[x])
            let name = CellText.display(row[series])
            if cells[label] == nil { labels.append(label) }
            cells[label, default: [:]][name] = row[measure]
            totals[name, default: 0] += CellText.numeric(row[measure]) ?? 0
        }
        let names = totals.keys.sorted { totals[$0]! != totals[$1]! ? totals[$0]! > totals[$1]! : $0 < $1 }.prefix(8)
        let day = columns[x].granularity == .day
        return (
            QueryResult(
                columns: [result.columns[x]] + names,
                rows: labels.map { label in
                    [.string(label)] + names.map { cells[label]?[$0] ?? (day ? .integer(0) : .null) }
                }),
            [columns[x].title] + names
        )
    }

    /// `options.links`: the `text` member's cells link to the `href` member's value(s) (joined by `/`), when that
    /// is an http(s) URL or a path on this site.
    func link(_ links: [VisualizationDefinition.Link], columns: [String]) -> Panel.Link? {
        guard let first = links.first, let column = columns.firstIndex(of: first.text) else { return nil }
        let targets = first.href.compactMap { columns.firstIndex(of: $0) }
        guard targets.count == first.href.count else { return nil }
        return Panel.Link(column: column) { row in
            let url = targets.map { CellText.display(row[$0]) }.joined(separator: "/")
            let lowered = url.lowercased()
            guard
                lowered.hasPrefix("https://") || lowered.hasPrefix("http://")
                    || (url.hasPrefix("/") && !url.hasPrefix("//"))
            else { return nil }
            return url
        }
    }

    func html(_ panels: [Panel], parameters: PageParameters) -> HTML {
        var fields: HTML = ""
        if dashboard.excludeAnonymousUsers {
            fields = """
                <label class="check"><span>Anonymous users</span><span><input type="checkbox" name="exclude_anonymous" \
                value="1"\(excludeAnonymous ? HTML(raw: " checked") : "")> exclude</span></label>
                """
        }
        let offered = dashboard.dateRange.options.isEmpty ? DateRange.Preset.standard : dashboard.dateRange.options
        let filters: HTML =
            range != nil || dashboard.excludeAnonymousUsers
            ? PageLayout.filters(range: range, fields: fields, offered: offered) : ""
        var placements: [String: PageLayout.Placement] = [:]
        for (index, panel) in dashboard.panels.enumerated() {
            placements[Self.panelID(index)] = PageLayout.Placement(
                x: panel.grid.x, y: panel.grid.y, width: panel.grid.width, height: panel.grid.height)
        }
        // Reading order (top to bottom, left to right) for narrow screens and screen readers.
        let ordered = panels.enumerated().sorted { left, right in
            let a = dashboard.panels[left.offset].grid
            let b = dashboard.panels[right.offset].grid
            return (a.y ?? Int.max, a.x ?? 0, left.offset) < (b.y ?? Int.max, b.x ?? 0, right.offset)
        }.map(\.element)
        let description: HTML = dashboard.description.map { "<p class=\"muted\">\($0)</p>" } ?? ""
        let status: HTML = dashboard.status.map { " <span class=\"badge\">\($0)</span>" } ?? ""
        return PageLayout.page(
            title: dashboard.title, path: Self.path,
            body: "\(status)\(description)\(filters)"
                + PageLayout.grid(
                    ordered, placements: placements, path: "\(Self.path)/\(dashboard.slug)", parameters: parameters))
    }

    /// `/dashboards`: every dashboard, with its description and where it comes from.
    static func index(_ catalog: DashboardCatalog) -> HTML {
        let rows = HTML.joined(
            catalog.dashboards.map { dashboard in
                """
                <tr><th scope="row"><a href="\(path)/\(dashboard.slug)">\(dashboard.title)</a></th>\
                <td class="wrap">\(dashboard.description ?? "")</td><td>\(dashboard.panels.count)</td>\
                <td>\(dashboard.file)</td></tr>
                """
            })
        return PageLayout.page(
            title: "Dashboards", path: path,
            body: """
                <p class="muted">GitLab-format dashboards: the built-in ones, and those of --dashboards DIR \
                (DIR/NAME/NAME.yaml, shared visualizations in DIR/visualizations/).</p>
                <section class="panel"><div class="table-wrap"><table><thead><tr><th scope="col">Dashboard</th>\
                <th scope="col">Description</th><th scope="col">Panels</th><th scope="col">File</th></tr></thead>\
                <tbody>\(rows)</tbody></table></div></section>
                """)
    }
}
