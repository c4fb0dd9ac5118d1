/// A panel as HTML: its heading, its chart (or stat, or table), the table of its numbers, and its CSV link.
struct PanelView: Sendable {
    let panel: Panel
    /// The page's URL with its filters, to which `panel=…&format=csv` is added for the export.
    let csvLink: String
    /// Grid columns the panel spans (1…12), for the chart's proportions.
    var columns = 12

    var html: HTML {
        let titleID = "panel-\(panel.id)"
        var content: HTML
        switch panel.visualization {
        case .lineChart, .areaChart, .columnChart:
            content =
                panel.result.rows.isEmpty
                ? HTML("<p class=\"empty\">No data in this range.</p>")
                : "<div class=\"chart-wrap\">\(SVGChart(panel: panel, columns: columns).render(kind: panel.visualization, titleID: titleID))</div>"
            content += """
                <details><summary>Numbers</summary>\(table)</details>
                """
        case .singleStat:
            content = singleStat
        case .dataTable:
            content = panel.result.rows.isEmpty ? HTML("<p class=\"empty\">No rows.</p>") : table
        }
        let note: HTML = panel.note.map { "<p class=\"note\">\($0)</p>" } ?? ""
        return """
            <section class="panel panel-\(panel.visualization.rawValue)" data-panel="\(panel.id)">
            <header><h2 id="\(titleID)">\(panel.title)</h2><a class="export" href="\(csvLink)" \
            download>CSV</a></header>\(note)\(content)</section>
            """
    }

    /// Every row and column, numbers right-aligned.
    var table: HTML {
        let header = HTML.joined(
            panel.result.columns.indices.map { "<th scope=\"col\">\(panel.title(ofColumn: $0))</th>" })
        let rows = HTML.joined(
            panel.result.rows.map { row in
                let cells = HTML.joined(
                    row.enumerated().map { index, value in
                        let text = CellText.display(value, decimalPlaces: panel.decimalPlaces)
                        if let link = panel.link, link.column == index, !text.isEmpty, let url = link.url(row) {
                            let anchor: HTML = "<a href=\"\(url)\">\(text)</a>"
                            return index == 0 ? "<th scope=\"row\">\(anchor)</th>" : "<td>\(anchor)</td>"
                        }
                        if CellText.numeric(value) != nil { return "<td class=\"number\">\(text)</td>" }
                        return index == 0 ? "<th scope=\"row\">\(text)</th>" : "<td>\(text)</td>"
                    })
                return "<tr>\(cells)</tr>"
            })
        return """
            <div class="table-wrap"><table aria-labelledby="panel-\(panel.id)"><thead><tr>\(header)</tr></thead>\
            <tbody>\(rows)</tbody></table></div>
            """
    }

    /// The first row's first number, large; the second number (the previous period), when there, as a change.
    private var singleStat: HTML {
        let values = panel.result.rows.first ?? []
        let numbers = values.compactMap(CellText.numeric)
        guard let value = numbers.first else { return "<p class=\"empty\">No data in this range.</p>" }
        var change: HTML = ""
        if numbers.count > 1 {
            let before = numbers[1]
            let text =
                before == 0
                ? (value == 0 ? "no change" : "new")
                : (value >= before ? "+" : "") + CellText.number((value - before) / before * 100, decimalPlaces: 1)
                    + " %"
            change = """
                <span class="change \(value >= before ? "up" : "down")" title="previous period: \
                \(CellText.number(before, decimalPlaces: panel.decimalPlaces))">\(text) vs previous period</span>
                """
        }
        return """
            <p class="stat"><data value="\(CellText.plain(.double(value)))">\
            \(CellText.number(value, decimalPlaces: panel.decimalPlaces))</data>\(change)</p>
            """
    }
}
