import Foundation
import TallyTestSupport
import Testing

@testable import TallyCollector

/// Dashboard folders in GitLab's format, checked by the rules of `analytics_dashboard.json` and
/// `analytics_visualization.json`: what loads, and what is refused with the file, line and field named.
@Suite("dashboards: loading")
struct DashboardLoadingTests {
    /// A `.gitlab/analytics/dashboards` folder with the given files.
    func folder(_ files: [String: String]) throws -> URL {
        let root = try TestEnvironment.makeTemporaryDirectory("tally-dashboards")
        let dashboards = root.appendingPathComponent(".gitlab/analytics/dashboards")
        for (path, text) in files {
            let url = dashboards.appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        return root
    }

    /// A visualization shaped like GitLab's `events_over_time.yaml` (line chart of events per day).
    static let eventsOverTime = """
        ---
        version: 1
        title: Events over time
        type: LineChart
        data:
          type: cube_analytics
          query:
            measures:
              - SnowplowTrackedEvents.count
            timeDimensions:
              - dimension: SnowplowTrackedEvents.derivedTstamp
                granularity: day
            limit: 100
            timezone: UTC
            filters: []
            dimensions: []
        options:
          xAxis:
            name: Time
            type: time
          yAxis:
            name: Counts
            type: value
        """

    /// Shaped like GitLab's `top_pages.yaml` (a table with links).
    static let topPages = """
        ---
        version: 1
        type: DataTable
        data:
          type: cube_analytics
          query:
            measures:
              - TrackedEvents.pageViewsCount
            dimensions:
              - TrackedEvents.pageUrlpath
              - TrackedEvents.pageUrl
            limit: 100
            timezone: UTC
            filters: []
            timeDimensions: []
        options:
          links:
            - text: TrackedEvents.pageUrlpath
              href: TrackedEvents.pageUrl
        """

    /// Shaped like GitLab's `behavior.yaml`: panels naming shared visualizations.
    static let behavior = """
        ---
        title: Behavior
        description: All insights on user activity
        panels:
          - visualization: events_over_time
            title: Events over time
            gridAttributes:
              yPos: 1
              xPos: 0
              width: 6
              height: 5
            options: {}
          - visualization: top_pages
            title: Top pages
            gridAttributes:
              yPos: 6
              xPos: 0
              width: 12
              height: 4
            options: {}
        """

    @Test func builtInDashboardsLoadByTheSameRules() throws {
        let catalog = try DashboardCatalog(folder: nil)
        #expect(catalog.names == ["behavior", "audience", "instances"])
        #expect(catalog.dashboards.allSatisfy { !$0.panels.isEmpty })
    }

    @Test func gitLabShapedFilesLoad() throws {
        let root = try folder([
            "visualizations/events_over_time.yaml": Self.eventsOverTime,
            "visualizations/top_pages.yaml": Self.topPages, "behavior/behavior.yaml": Self.behavior,
        ])
        let catalog = try DashboardCatalog(folder: root)
        // The folder's behavior replaces the built-in one.
        #expect(catalog.names == ["audience", "instances", "behavior"])
        let dashboard = try #require(catalog.dashboard("behavior"))
        #expect(dashboard.title == "Behavior" && dashboard.panels.count == 2)
        #expect(dashboard.panels[0].grid.width == 6 && dashboard.panels[0].grid.height == 5)
        guard case .cube(let query) = dashboard.panels[0].visualization.data else {
            Issue.record("expected a cube query")
            return
        }
        #expect(query.measures == ["SnowplowTrackedEvents.count"])
        #expect(query.groupedTimes.first?.granularity == .day && query.limit == 100)
        #expect(dashboard.panels[1].visualization.links.first?.href == ["TrackedEvents.pageUrl"])
        // The folder itself may be given too.
        let direct = try DashboardCatalog(folder: root.appendingPathComponent(".gitlab/analytics/dashboards"))
        #expect(direct.names.last == "behavior")
    }

    /// One broken file, and the issue it must give.
    @Test(
        arguments: [
            // Unknown keys, as additionalProperties: false says.
            ("title: T\npanels: []\ncolour: red\n", 3, "colour", "unknown key"),
            (
                "title: T\npanels:\n  - title: P\n    gridAttributes: {width: 4, height: 2, widht: 3}\n    visualization: v\n",
                4,
                "panels[0].gridAttributes.widht", "unknown key"
            ),
            // Required keys.
            ("panels: []\n", 1, "title", "required"),
            ("title: T\npanels:\n  - title: P\n    visualization: v\n", 3, "panels[0].gridAttributes", "required"),
            (
                "title: T\npanels:\n  - title: P\n    gridAttributes: {width: 4}\n    visualization: v\n", 4,
                "panels[0].gridAttributes.height", "required"
            ),
            // Types and values.
            ("version: 2\ntitle: T\npanels: []\n", 1, "version", "\"2\""),
            ("title: T\nstatus: ga\npanels: []\n", 2, "status", "not one of"),
            ("title: [a]\npanels: []\n", 1, "title", "expected a string"),
            (
                "title: T\npanels:\n  - title: P\n    gridAttributes: {xPos: 8, width: 6, height: 2}\n    visualization: v\n",
                4,
                "panels[0].gridAttributes.width", "at most 12"
            ),
            (
                "title: T\npanels:\n  - title: P\n    gridAttributes: {width: 4, height: 2}\n    visualization: nowhere\n",
                5,
                "panels[0].visualization", "no visualization \"nowhere\""
            ),
            (
                "title: T\nfilters:\n  dateRange:\n    enabled: true\n    options: [7d, 14d]\npanels: []\n", 5,
                "filters.dateRange.options[1]", "not one of"
            ),
            ("title: T\npanels: [\n", 3, "file", "not valid YAML"),
        ] as [(String, Int, String, String)])
    func brokenDashboardsAreNamed(text: String, line: Int, field: String, message: String) throws {
        let root = try folder(["mine/mine.yaml": text, "visualizations/v.yaml": Self.eventsOverTime])
        let error = try #require(throws: DashboardLoadError.self) { try DashboardCatalog(folder: root) }
        let issue = try #require(error.issues.first, "\(error)")
        #expect(issue.file.hasSuffix("mine/mine.yaml"), "\(error)")
        #expect(issue.field == field, "\(error)")
        #expect(issue.line == line, "\(error)")
        #expect(issue.message.contains(message), "\(error)")
    }

    /// A visualization whose `data`, `options` or query breaks a rule.
    @Test(
        arguments: [
            (
                "version: 1\ntype: LineChart\ndata: {type: cube_analytics, query: {measures: [TrackedEvents.count]}}\n",
                "options",
                "required"
            ),
            (
                "version: 2\ntype: LineChart\noptions: {}\ndata: {type: cube_analytics, query: {measures: [TrackedEvents.count]}}\n",
                "version", "must be 1"
            ),
            (
                "type: DORAChart\noptions: {}\ndata: {type: cube_analytics, query: {measures: [TrackedEvents.count]}}\n",
                "type",
                "GitLab's own"
            ),
            (
                "type: PieChart\noptions: {}\ndata: {type: cube_analytics, query: {measures: [TrackedEvents.count]}}\n",
                "type",
                "not a visualization type"
            ),
            (
                "type: LineChart\noptions: {colour: red}\ndata: {type: cube_analytics, query: {measures: [TrackedEvents.count]}}\n",
                "options.colour", "unknown key"
            ),
            (
                "type: LineChart\noptions: {xAxis: {name: Day}}\ndata: {type: cube_analytics, query: {measures: [TrackedEvents.count]}}\n",
                "options.xAxis.type", "required"
            ),
            ("type: LineChart\noptions: {}\ndata: {type: dora_metrics, query: {}}\n", "data.type", "GitLab's own data"),
            (
                "type: LineChart\noptions: {}\ndata: {type: cube_analytics, query: {measures: [TrackedEvents.clicks]}}\n",
                "data.query.measures[0]", "unknown member"
            ),
            (
                "type: LineChart\noptions: {}\ndata: {type: cube_analytics, query: {measures: [TrackedEvents.eventName]}}\n",
                "data.query.measures[0]", "is a dimension"
            ),
            (
                "type: LineChart\noptions: {}\ndata: {type: cube_analytics, query: {measures: [TrackedEvents.count, InstanceMetrics.value]}}\n",
                "data.query.measures[1]", "another cube"
            ),
            (
                "type: LineChart\noptions: {}\ndata: {type: cube_analytics, query: {measures: [TrackedEvents.count], limit: 0}}\n",
                "data.query.limit", "1…10000"
            ),
            (
                "type: LineChart\noptions: {}\ndata: {type: cube_analytics, query: {measures: [TrackedEvents.count], timezone: Europe/Paris}}\n",
                "data.query.timezone", "only UTC"
            ),
            (
                "type: LineChart\noptions: {}\ndata: {type: cube_analytics, query: {measures: [TrackedEvents.count], order: {TrackedEvents.appId: asc}}}\n",
                "data.query.order.TrackedEvents.appId", "doesn't select"
            ),
            (
                "type: LineChart\noptions: {}\ndata: {type: cube_analytics, query: {measures: [TrackedEvents.count], segments: [x]}}\n",
                "data.query.segments", "unknown key"
            ),
            (
                "type: LineChart\noptions: {}\ndata: {type: cube_analytics, query: {measures: [TrackedEvents.count], timeDimensions: [{dimension: TrackedEvents.derivedTstamp, granularity: fortnight}]}}\n",
                "data.query.timeDimensions[0].granularity", "not one of"
            ),
            (
                "type: LineChart\noptions: {}\ndata: {type: cube_analytics, query: {measures: [TrackedEvents.count], timeDimensions: [{dimension: TrackedEvents.derivedTstamp, dateRange: soon}]}}\n",
                "data.query.timeDimensions[0].dateRange", "not a date range"
            ),
            (
                "type: LineChart\noptions: {}\ndata: {type: cube_analytics, query: {measures: [TrackedEvents.count], filters: [{member: TrackedEvents.appId, operator: gt, values: ['3']}]}}\n",
                "data.query.filters[0].values", "compares numbers"
            ),
            (
                "type: LineChart\noptions: {}\ndata: {type: cube_analytics, query: {measures: [TrackedEvents.count], filters: [{member: TrackedEvents.appId, operator: equals}]}}\n",
                "data.query.filters[0].values", "needs values"
            ),
            (
                "type: LineChart\noptions: {}\ndata: {type: cube_analytics, query: {measures: [TrackedEvents.count], filters: [{member: TrackedEvents.appId, operator: like, values: [a]}]}}\n",
                "data.query.filters[0].operator", "not one of"
            ),
            (
                "type: LineChart\noptions: {}\ndata: {type: cube_analytics, query: {measures: [TrackedEvents.count], filters: [{member: TrackedEvents.derivedTstamp, operator: inDateRange, values: ['2025-01-01']}]}}\n",
                "data.query.filters[0].values", "takes 2 day"
            ),
            ("type: DataTable\noptions: {}\ndata: {type: sql, query: {sql: ''}}\n", "data.query.sql", "empty"),
            (
                "type: DataTable\noptions: {}\ndata: {type: sql, query: 'SELECT 1'}\n", "data.query",
                "expected a mapping"
            ),
        ] as [(String, String, String)])
    func brokenVisualizationsAreNamed(text: String, field: String, message: String) throws {
        let root = try folder([
            "visualizations/v.yaml": text,
            "mine/mine.yaml":
                "title: T\npanels:\n  - title: P\n    gridAttributes: {width: 4, height: 2}\n    visualization: v\n",
        ])
        let error = try #require(throws: DashboardLoadError.self) { try DashboardCatalog(folder: root) }
        #expect(
            error.issues.contains {
                $0.file.hasSuffix("visualizations/v.yaml") && $0.field == field && $0.message.contains(message)
            },
            "\(error)")
    }

    @Test func everyProblemOfEveryFileIsReported() throws {
        let root = try folder([
            "one/one.yaml": "title: T\npanels: []\nextra: 1\nmore: 2\n",
            "two/two.yaml": "panels: []\n",
            "three/notthree.yaml": "title: T\npanels: []\n",
        ])
        let error = try #require(throws: DashboardLoadError.self) { try DashboardCatalog(folder: root) }
        #expect(error.issues.count == 4, "\(error)")
        #expect(error.issues.contains { $0.field == "extra" && $0.line == 3 })
        #expect(error.issues.contains { $0.field == "more" && $0.line == 4 })
        #expect(error.issues.contains { $0.file.hasSuffix("two/two.yaml") && $0.field == "title" })
        #expect(error.issues.contains { $0.file.hasSuffix("three") && $0.message.contains("three/three.yaml") })
    }

    @Test func plainScalarsAreTypedAsGitLabsYAMLReadsThem() throws {
        func value(_ text: String) throws -> YAMLTree.Value {
            guard case .mapping(let entries) = try YAMLTree.parse("k: \(text)", file: "t").value else {
                throw DashboardLoadError(issues: [])
            }
            return entries[0].value.value
        }
        if case .bool(true) = try value("yes") {} else { Issue.record("yes is true in YAML 1.1") }
        if case .integer(12) = try value("12") {} else { Issue.record("12 is an integer") }
        if case .string("12") = try value("'12'") {} else { Issue.record("'12' is a string") }
        if case .number(0.5) = try value("0.5") {} else { Issue.record("0.5 is a number") }
        if case .null = try value("~") {} else { Issue.record("~ is null") }
        if case .string("7d") = try value("7d") {} else { Issue.record("7d is a string") }
    }
}

extension DashboardLoadingTests {
    /// The example folder `make demo` shows keeps loading.
    @Test func theExampleDashboardsLoad() throws {
        let catalog = try DashboardCatalog(
            folder: DefinitionFolder.packageRoot.appendingPathComponent("Examples/dashboards"))
        let dashboard = try #require(catalog.dashboard("product_usage"))
        #expect(dashboard.panels.count == 6 && dashboard.dateRange.enabled && dashboard.excludeAnonymousUsers)
    }
}
