/// The frame around every page: the navigation, the styles, and the filter form.
enum PageLayout {
    /// The pages in the navigation: path and name.
    static let sections = [
        ("/events", "Events"), ("/metrics", "Metrics"), ("/instances", "Instances"), ("/dashboards", "Dashboards"),
        ("/dictionary", "Metrics dictionary"),
    ]

    static func page(title: String, path: String, body: HTML) -> HTML {
        let navigation = HTML.joined(
            sections.map { link, name in
                "<a href=\"\(link)\"\(link == path ? HTML(raw: " aria-current=\"page\"") : "")>\(name)</a>"
            })
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title) · Tally</title>
            <link rel="icon" href="data:,">
            <style>\(HTML(raw: styles))</style>
            </head><body>
            <nav class="top"><a class="brand" href="/">Tally</a>\(navigation)</nav>
            <main><h1>\(title)</h1>
            \(body)
            </main></body></html>
            """
    }

    /// A GET form of filters: the date range (with the custom days) and the page's own fields.
    static func filters(
        range: DateRange?, fields: HTML, offered: [DateRange.Preset] = DateRange.Preset.standard
    ) -> HTML {
        var rangeFields: HTML = ""
        if let range {
            let options = HTML.joined(
                offered.map { preset in
                    """
                    <option value="\(preset.rawValue)"\(preset == range.preset ? HTML(raw: " selected") : "")>\
                    \(preset.label)</option>
                    """
                })
            rangeFields = """
                <label>Range <select name="range">\(options)</select></label>
                <label>From <input type="date" name="from" value="\(range.from.description)"></label>
                <label>To <input type="date" name="to" value="\(range.to.description)"></label>
                """
        }
        return """
            <form class="filters" method="get">\(rangeFields)\(fields)<button type="submit">Apply</button></form>
            """
    }

    /// Where a panel sits on the 12-column grid: `x`/`y` (0-based) when placed, else in turn; `height` in rows.
    struct Placement: Sendable {
        var x: Int?
        var y: Int?
        var width: Int
        var height: Int?
    }

    /// Panels on the 12-column grid (12 columns wide when `spans` doesn't say), each with its CSV link.
    static func grid(_ panels: [Panel], spans: [String: Int], path: String, parameters: PageParameters) -> HTML {
        grid(
            panels, placements: spans.mapValues { Placement(width: $0) }, path: path, parameters: parameters)
    }

    /// Panels placed on the grid as a dashboard file says; on a narrow screen one column, in reading order.
    static func grid(
        _ panels: [Panel], placements: [String: Placement], path: String, parameters: PageParameters
    ) -> HTML {
        let views = HTML.joined(
            panels.map { panel in
                let link = path + parameters.setting("panel", panel.id).setting("format", "csv").queryString
                let place = placements[panel.id] ?? Placement(width: 12)
                let width = min(max(place.width, 1), 12)
                var style = place.x.map { "grid-column:\($0 + 1) / span \(width)" } ?? "grid-column:span \(width)"
                if let y = place.y {
                    style += ";grid-row:\(y + 1) / span \(max(place.height ?? 1, 1))"
                } else if let height = place.height {
                    style += ";grid-row:span \(max(height, 1))"
                }
                return """
                    <div class="cell" style="\(style)">\(PanelView(panel: panel, csvLink: link, columns: width).html)</div>
                    """
            })
        return "<div class=\"grid\">\(views)</div>"
    }

    /// A `<select>` whose first option is "all" (an empty value).
    static func select(_ name: String, label: String, options: [String], selected: String?) -> HTML {
        let choices = HTML.joined(
            options.map { option in
                "<option\(option == selected ? HTML(raw: " selected") : "")>\(option)</option>"
            })
        return """
            <label>\(label) <select name="\(name)"><option value="">All</option>\(choices)</select></label>
            """
    }

    /// The page shown for a parameter the page can't use (with status 400).
    static func invalid(_ problem: PageParameters.Invalid, path: String) -> HTML {
        page(
            title: "Bad request", path: path,
            body: """
                <p class="error" role="alert">Parameter <code>\(problem.parameter)</code>: \(problem.message)</p>
                <p><a href="\(path)">Back to the page without filters</a></p>
                """)
    }

    static let styles = """
        :root{--fg:#1f1e24;--muted:#626168;--line:#dcdcde;--bg:#fbfafd;--accent:#1f75cb;font-family:system-ui,\
        -apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
        body{margin:0}main{max-width:1240px;margin:0 auto;padding:16px}
        h1{font-size:1.5rem;margin:8px 0 16px}h2{font-size:1.05rem;margin:0}
        nav.top{display:flex;flex-wrap:wrap;gap:4px 18px;align-items:center;padding:10px 16px;background:#28272d}
        nav.top a{color:#ececef;text-decoration:none}nav.top a[aria-current]{font-weight:600;border-bottom:2px solid #fc6d26}
        nav.top .brand{font-weight:700;margin-right:12px}
        form.filters{display:flex;flex-wrap:wrap;gap:8px 14px;align-items:end;margin-bottom:16px}
        form.filters label{display:flex;flex-direction:column;font-size:.8rem;color:var(--muted)}
        input,select,button{font:inherit;padding:4px 6px}button{background:var(--accent);color:#fff;border:0;\
        border-radius:4px;padding:6px 14px}
        .grid{display:grid;grid-template-columns:repeat(12,minmax(0,1fr));grid-auto-rows:minmax(72px,auto);gap:16px}
        .panel{background:#fff;border:1px solid var(--line);border-radius:6px;padding:12px 14px;min-width:0;\
        height:100%;box-sizing:border-box}.cell{min-width:0}
        .panel header{display:flex;justify-content:space-between;gap:8px;align-items:baseline;margin-bottom:6px}
        @media (max-width:800px){.grid>.cell{grid-column:1 / -1!important;grid-row:auto!important}}
        a.export{font-size:.8rem;color:var(--accent)}
        .note,.empty{color:var(--muted);font-size:.85rem;margin:2px 0 8px}
        svg.chart{width:100%;height:auto;display:block}.chart-wrap{overflow-x:auto}
        @media (max-width:800px){svg.chart{min-width:540px}}svg .axis-name{font-size:12px;fill:var(--fg)}
        svg .gridline{stroke:#ececef}svg .axis{stroke:#89888d}svg text{font-size:11px;fill:var(--muted)}
        svg .legend{font-size:12px;fill:var(--fg)}
        .table-wrap{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:.85rem}
        th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);white-space:nowrap}
        td.number{text-align:right;font-variant-numeric:tabular-nums}thead th{color:var(--muted);font-weight:600}
        details summary{cursor:pointer;color:var(--muted);font-size:.85rem;margin-top:6px}
        .stat{font-size:2rem;font-weight:600;margin:8px 0}.change{font-size:.85rem;margin-left:12px;font-weight:400}
        .change.up{color:#108548}.change.down{color:#c91c00}
        .error{background:#fdd4cd;border:1px solid #c91c00;padding:8px 12px;border-radius:4px}
        code{background:#ececef;padding:1px 4px;border-radius:3px}
        .search{width:min(420px,100%)}.muted{color:var(--muted)}td.wrap{white-space:normal;min-width:16em}
        """
}
