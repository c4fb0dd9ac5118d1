import Foundation
import InternalEvents
import Testing

@testable import TallyCollector

/// The pieces the pages are made of: days, ranges, scales, numbers, CSV fields and HTML escaping.
@Suite("page parts")
struct PagePartsTests {
    @Test func daysReadOnlyRealDates() throws {
        #expect(CalendarDay("2025-02-28")?.adding(days: 1).description == "2025-03-01")
        #expect(CalendarDay("2024-02-29")?.description == "2024-02-29")
        for bad in ["2025-02-29", "2025-13-01", "2025-1-01", "25-01-01", "2025-01-01T00", "", "２０２５-01-01"] {
            #expect(CalendarDay(bad) == nil, "\(bad)")
        }
        let monday = try #require(CalendarDay("2025-03-31"))
        #expect(try #require(CalendarDay("2025-04-06")).monday == monday)
        #expect(CalendarDay(containing: Date(timeIntervalSince1970: 1_743_465_599)) == CalendarDay("2025-03-31"))
    }

    @Test func rangesAndTheirPreviousPeriods() throws {
        let today = try #require(CalendarDay("2025-03-31"))
        let week = try DateRange(parameters: PageParameters([("range", "7d")]), today: today)
        #expect(week.from.description == "2025-03-25" && week.dayCount == 7)
        #expect(week.previous.from.description == "2025-03-18" && week.previous.to.description == "2025-03-24")
        let custom = try DateRange(
            parameters: PageParameters(query: "range=custom&from=2025-03-05&to=2025-03-17"), today: today)
        #expect(custom.weeks.map(\.description) == ["2025-03-03", "2025-03-10", "2025-03-17"])
        #expect(PageParameters(custom.parameters).queryString == "?from=2025-03-05&range=custom&to=2025-03-17")
        #expect(try DateRange(parameters: PageParameters([]), today: today).dayCount == 30)
    }

    @Test func parametersDecodeAndEncode() {
        let parameters = PageParameters(query: "a=x+y%26z&b=&a=2&c=%3Cb%3E")
        #expect(parameters["a"] == "2" && parameters["b"] == nil && parameters["c"] == "<b>")
        #expect(parameters.setting("a", "x y&z").queryString == "?a=x%20y%26z&c=%3Cb%3E")
    }

    @Test(
        arguments: [
            ([0.0, 7], 0.0, 8.0, 2.0), ([0, 1], 0, 1, 1), ([0, 0.5], 0, 0.5, 0.1), ([0, 47], 0, 50, 10),
            ([0, 1_234], 0, 1_500, 500),
            ([-3, 12], -5, 15, 5), ([0, 0], 0, 1, 1),
        ] as [([Double], Double, Double, Double)])
    func scalesEndOnRoundNumbers(values: [Double], minimum: Double, maximum: Double, step: Double) {
        let scale = ChartScale(values: values)
        #expect(scale.minimum == minimum && scale.maximum == maximum && scale.step == step, "\(scale)")
        #expect(scale.ticks.first == minimum && scale.ticks.last == maximum)
    }

    @Test func numbersAsPagesAndExportsWriteThem() {
        #expect(CellText.number(1_234_567) == "1,234,567")
        #expect(CellText.number(-1_234.5) == "-1,234.5")
        #expect(
            CellText.number(0.125, decimalPlaces: 2) == "0.13" || CellText.number(0.125, decimalPlaces: 2) == "0.12")
        #expect(CellText.number(2.0) == "2")
        #expect(CellText.plain(.double(1_234.0)) == "1234")
        #expect(CellText.plain(.integer(Int64.max)) == "9223372036854775807")
        #expect(CellText.display(.null) == "")
    }

    @Test func csvFieldsQuoteAndDisarmFormulas() {
        #expect(CSV.field("plain") == "plain")
        #expect(CSV.field("a,b") == "\"a,b\"")
        #expect(CSV.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSV.field("=1+1") == "'=1+1")
        #expect(CSV.field("@SUM(A1)") == "'@SUM(A1)")
        #expect(CSV.field("-1") == "-1")
        #expect(CSV.field("line\nbreak") == "\"line\nbreak\"")
        let result = QueryResult(columns: ["a", "b"], rows: [[.string("x"), .integer(-2)], [.null, .double(0.5)]])
        #expect(CSV.document(result) == "a,b\r\nx,-2\r\n,0.5\r\n")
    }

    @Test func htmlEscapesInterpolatedText() {
        let name = "<img src=x onerror='alert(1)'> & \"friends\""
        let html: HTML = "<td title=\"\(name)\">\(name)</td>"
        #expect(
            html.description
                == "<td title=\"&lt;img src=x onerror=&#39;alert(1)&#39;&gt; &amp; &quot;friends&quot;\">"
                + "&lt;img src=x onerror=&#39;alert(1)&#39;&gt; &amp; &quot;friends&quot;</td>")
        let inner: HTML = "<b>\("x")</b>"
        #expect(("<p>\(inner)</p>" as HTML).description == "<p><b>x</b></p>")
    }

    @Test func chartsDrawEveryPointWithItsTooltip() {
        let panel = Panel(
            id: "p", title: "t", visualization: .lineChart,
            result: QueryResult(
                columns: ["day", "events", "previous period"],
                rows: [[.string("d1"), .integer(3), .integer(1)], [.string("d2"), .null, .integer(2)]]),
            comparisonColumns: [2])
        let svg = SVGChart(panel: panel).render(kind: .lineChart, titleID: "x").description
        #expect(svg.components(separatedBy: "<circle").count - 1 == 3)
        #expect(svg.contains("<title>events, d1: 3</title>"))
        #expect(svg.contains("stroke-dasharray"))
        let columns = SVGChart(panel: panel).render(kind: .columnChart, titleID: "x").description
        #expect(columns.components(separatedBy: "<rect").count - 1 == 3 + 2)
    }
}
