/// Draws a panel's rows as an SVG line or column chart: axes, ticks, a legend, and a `<title>` on every point or
/// bar (the browser shows it as a tooltip; screen readers read the table that follows each chart).
///
/// The drawing scales with its container (`viewBox`, no fixed pixels), so it reads at 1280 px and on a phone.
struct SVGChart: Sendable {
    /// Series colours, the same order on every chart.
    static let palette = ["#1f75cb", "#e24329", "#108548", "#9e5400", "#6e49cb", "#c17d10", "#0a7f84", "#c0327f"]
    static let comparisonColour = "#868686"

    /// Drawing units across: about 100 per grid column, so text keeps one size whatever the panel's width.
    let width: Double
    let height = 280.0
    let margin = (top: 28.0, right: 16.0, bottom: 44.0, left: 64.0)

    struct Series: Sendable {
        var name: String
        var values: [Double?]
        var colour: String
        var dashed: Bool
    }

    let labels: [String]
    let series: [Series]
    let decimalPlaces: Int
    let xAxisName: String?
    let yAxisName: String?

    /// The panel's first column as labels, its numeric columns as series; `columns` is the panel's grid span.
    init(panel: Panel, columns: Int = 12) {
        width = Double(max(columns, 4)) * 100
        labels = panel.result.rows.map { row in row.first.map { CellText.display($0) } ?? "" }
        var series: [Series] = []
        var colourIndex = 0
        for column in panel.result.columns.indices.dropFirst() {
            let dashed = panel.comparisonColumns.contains(column)
            let colour = dashed ? Self.comparisonColour : Self.palette[colourIndex % Self.palette.count]
            if !dashed { colourIndex += 1 }
            series.append(
                Series(
                    name: panel.title(ofColumn: column),
                    values: panel.result.rows.map { row in column < row.count ? CellText.numeric(row[column]) : nil },
                    colour: colour, dashed: dashed))
        }
        self.series = series
        decimalPlaces = panel.decimalPlaces
        xAxisName = panel.xAxisName
        yAxisName = panel.yAxisName
    }

    private var plotWidth: Double { width - margin.left - margin.right }
    private var plotHeight: Double { height - margin.top - margin.bottom }

    private func format(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    private var scale: ChartScale { ChartScale(values: series.flatMap { $0.values.compactMap { $0 } }) }

    private func y(_ value: Double, _ scale: ChartScale) -> Double {
        margin.top + plotHeight * (1 - scale.position(value))
    }

    /// The chart as an `<svg>` element labelled by `titleID` (the panel's heading).
    func render(kind: Panel.Visualization, titleID: String) -> HTML {
        let scale = scale
        var body = axes(scale)
        body += kind == .columnChart ? columns(scale) : lines(scale, filled: kind == .areaChart)
        body += legend()
        return """
            <svg class="chart" viewBox="0 0 \(format(width)) \(format(height))" role="img" aria-labelledby="\(titleID)" \
            preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">\(body)</svg>
            """
    }

    private func axes(_ scale: ChartScale) -> HTML {
        var svg: HTML = ""
        for tick in scale.ticks {
            let position = format(y(tick, scale))
            svg += """
                <line class="gridline" x1="\(format(margin.left))" x2="\(format(width - margin.right))" y1="\(position)" \
                y2="\(position)"/><text class="tick" x="\(format(margin.left - 6))" y="\(position)" \
                text-anchor="end" dominant-baseline="middle">\(CellText.number(tick, decimalPlaces: decimalPlaces))</text>
                """
        }
        if let yAxisName {
            let middle = format(margin.top + plotHeight / 2)
            svg +=
                "<text class=\"axis-name\" transform=\"translate(12 \(middle)) rotate(-90)\" text-anchor=\"middle\">\(yAxisName)</text>"
        }
        if let xAxisName {
            let centre = format(margin.left + plotWidth / 2)
            svg +=
                "<text class=\"axis-name\" x=\"\(centre)\" y=\"\(format(height - 4))\" text-anchor=\"middle\">\(xAxisName)</text>"
        }
        let base = format(margin.top + plotHeight)
        svg += """
            <line class="axis" x1="\(format(margin.left))" x2="\(format(width - margin.right))" y1="\(base)" y2="\(base)"/>
            """
        // At most ten labels on the x axis, evenly picked.
        let every = max(1, Int((Double(labels.count) / 10).rounded(.up)))
        // A label longer than its room is cut (the whole one is in the points' and bars' tooltips).
        let room = max(3, Int(plotWidth / Double(max(labels.count, 1)) * Double(every) / 6.5))
        for (index, fullLabel) in labels.enumerated() where index % every == 0 {
            let label = fullLabel.count > room ? String(fullLabel.prefix(room - 1)) + "…" : fullLabel
            svg += """
                <text class="tick" x="\(format(xCentre(index)))" y="\(format(margin.top + plotHeight + 18))" \
                text-anchor="middle">\(label)</text>
                """
        }
        return svg
    }

    /// The horizontal centre of label `index`'s slot.
    private func xCentre(_ index: Int) -> Double {
        let slot = plotWidth / Double(max(labels.count, 1))
        return margin.left + slot * (Double(index) + 0.5)
    }

    private func lines(_ scale: ChartScale, filled: Bool) -> HTML {
        var svg: HTML = ""
        for line in series {
            // A gap (a missing value) breaks the line into runs.
            var runs: [[(Int, Double)]] = [[]]
            for (index, value) in line.values.enumerated() {
                if let value {
                    runs[runs.count - 1].append((index, value))
                } else if !runs[runs.count - 1].isEmpty {
                    runs.append([])
                }
            }
            for run in runs where run.count > 1 {
                let points = run.map { "\(format(xCentre($0.0))),\(format(y($0.1, scale)))" }.joined(separator: " ")
                if filled && !line.dashed {
                    let base = format(y(max(scale.minimum, min(0, scale.maximum)), scale))
                    let area =
                        "\(format(xCentre(run[0].0))),\(base) \(points) \(format(xCentre(run[run.count - 1].0))),\(base)"
                    svg += "<polygon fill=\"\(line.colour)\" fill-opacity=\"0.18\" stroke=\"none\" points=\"\(area)\"/>"
                }
                svg += """
                    <polyline fill="none" stroke="\(line.colour)" stroke-width="2"\(line.dashed ? HTML(raw: " stroke-dasharray=\"5 4\"") : "") points="\(points)"/>
                    """
            }
            for (index, value) in line.values.enumerated() {
                guard let value else { continue }
                svg += """
                    <circle cx="\(format(xCentre(index)))" cy="\(format(y(value, scale)))" r="\(labels.count > 60 ? "2" : "3.5")" \
                    fill="\(line.colour)"><title>\(line.name), \(labels[index]): \
                    \(CellText.number(value, decimalPlaces: decimalPlaces))</title></circle>
                    """
            }
        }
        return svg
    }

    private func columns(_ scale: ChartScale) -> HTML {
        var svg: HTML = ""
        let slot = plotWidth / Double(max(labels.count, 1))
        let groupWidth = slot * 0.8
        let barWidth = groupWidth / Double(max(series.count, 1))
        let zero = y(max(scale.minimum, min(0, scale.maximum)), scale)
        for (seriesIndex, bars) in series.enumerated() {
            for (index, value) in bars.values.enumerated() {
                guard let value else { continue }
                let x = margin.left + slot * Double(index) + (slot - groupWidth) / 2 + barWidth * Double(seriesIndex)
                let top = min(y(value, scale), zero)
                svg += """
                    <rect x="\(format(x))" y="\(format(top))" width="\(format(max(barWidth - 1, 1)))" \
                    height="\(format(abs(zero - y(value, scale))))" fill="\(bars.colour)"\
                    \(bars.dashed ? HTML(raw: " fill-opacity=\"0.45\"") : "")><title>\(bars.name), \(labels[index]): \
                    \(CellText.number(value, decimalPlaces: decimalPlaces))</title></rect>
                    """
            }
        }
        return svg
    }

    private func legend() -> HTML {
        var svg: HTML = ""
        var x = margin.left
        for line in series {
            svg += """
                <rect x="\(format(x))" y="8" width="12" height="12" fill="\(line.colour)"/>\
                <text class="legend" x="\(format(x + 16))" y="18">\(line.name)</text>
                """
            x += 28 + Double(min(line.name.count, 40)) * 7
        }
        return svg
    }
}
