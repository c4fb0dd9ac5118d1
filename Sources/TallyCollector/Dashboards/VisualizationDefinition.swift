import Foundation

/// A visualization as GitLab's `analytics_visualization.json` describes it: `version` 1, `type`, `options`, `data`
/// (`type` and `query`), optionally `slug`, `title` and `errors`; no other keys.
///
/// Tally draws `LineChart`, `AreaChart`, `ColumnChart`, `DataTable` and `SingleStat`; the other types of GitLab's
/// schema are refused with a message saying so. Data comes from `cube_analytics` queries, or from Tally's own `sql`
/// type: `query: {sql: "SELECT …"}`, one read-only statement where `{{from}}` and `{{to}}` stand for the page's
/// date range (the first day, and the day after the last).
struct VisualizationDefinition: Sendable {
    enum Kind: String, Sendable, CaseIterable {
        case lineChart = "LineChart"
        case areaChart = "AreaChart"
        case columnChart = "ColumnChart"
        case dataTable = "DataTable"
        case singleStat = "SingleStat"

        var panelKind: Panel.Visualization {
            switch self {
            case .lineChart: .lineChart
            case .areaChart: .areaChart
            case .columnChart: .columnChart
            case .dataTable: .dataTable
            case .singleStat: .singleStat
            }
        }
    }

    enum Data: Sendable {
        case cube(CubeQuery)
        case sql(String)
    }

    struct Link: Sendable {
        var text: String
        var href: [String]
    }

    var kind: Kind
    var slug: String?
    var title: String?
    var data: Data
    var decimalPlaces: Int?
    var unit: String?
    var links: [Link]
    var xAxisName: String?
    var yAxisName: String?

    /// GitLab's full list, for telling "not drawn by Tally" from "not a type at all".
    static let gitLabTypes = [
        "AreaChart", "LineChart", "ColumnChart", "DataTable", "SingleStat", "DORAChart", "UsageOverview",
        "DoraPerformersScore", "DoraProjectsComparison", "AiImpactTable", "ContributionsByUserTable",
        "ContributionsPushesChart", "ContributionsIssuesChart", "ContributionsMergeRequestsChart", "NamespaceMetadata",
        "MergeRequestsThroughputTable", "BarChart",
    ]
    static let gitLabDataTypes = [
        "cube_analytics", "value_stream", "usage_overview", "usage_count", "dora_metrics", "dora_metrics_by_project",
        "ai_impact_over_time", "contributions", "namespace_metadata", "merge_requests", "merge_request_counts",
        "mean_time_to_merge",
    ]

    static func parse(_ tree: YAMLTree, _ path: String, _ check: YAMLChecker) -> VisualizationDefinition? {
        let before = check.issues.count
        guard
            let fields = check.mapping(
                tree, path, allowed: ["version", "type", "slug", "title", "options", "data", "errors"],
                required: ["data", "options", "type"])
        else { return nil }
        if let version = fields["version"] {
            if case .integer(1) = version.value {
            } else {
                check.fail(version, YAMLChecker.join(path, "version"), "must be 1, found \(version.kind)")
            }
        }
        var kind: Kind?
        if let typeTree = fields["type"], let name = check.string(typeTree, YAMLChecker.join(path, "type")) {
            kind = Kind(rawValue: name)
            if kind == nil {
                check.fail(
                    typeTree, YAMLChecker.join(path, "type"),
                    gitLabTypes.contains(name)
                        ? "\(name) is one of GitLab's own visualizations; Tally draws \(Kind.allCases.map(\.rawValue).joined(separator: ", "))"
                        : "\"\(name)\" is not a visualization type; expected one of \(Kind.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
        }
        let slug = check.string(fields["slug"], YAMLChecker.join(path, "slug"))
        let title = check.string(fields["title"], YAMLChecker.join(path, "title"))
        check.errorsField(fields["errors"], YAMLChecker.join(path, "errors"))
        let options = fields["options"].flatMap { parseOptions($0, YAMLChecker.join(path, "options"), check) }
        var data: Data?
        if let dataTree = fields["data"] { data = parseData(dataTree, YAMLChecker.join(path, "data"), check) }
        guard check.issues.count == before, let kind, let data, let options else { return nil }
        return VisualizationDefinition(
            kind: kind, slug: slug, title: title, data: data, decimalPlaces: options.decimalPlaces, unit: options.unit,
            links: options.links, xAxisName: options.xAxis, yAxisName: options.yAxis)
    }

    private struct Options {
        var decimalPlaces: Int?
        var unit: String?
        var links: [Link] = []
        var xAxis: String?
        var yAxis: String?
    }

    private static func parseOptions(_ tree: YAMLTree, _ path: String, _ check: YAMLChecker) -> Options? {
        guard
            let fields = check.mapping(
                tree, path,
                allowed: [
                    "tooltip", "xAxis", "yAxis", "chartTooltip", "links", "decimalPlaces", "unit", "metaText",
                    "metaIcon", "titleIcon", "includeLegendAvgMax", "fields", "presentation",
                ])
        else { return nil }
        var options = Options()
        options.decimalPlaces = check.integer(fields["decimalPlaces"], YAMLChecker.join(path, "decimalPlaces"))
        if let places = options.decimalPlaces, !(0...10).contains(places) {
            check.fail(fields["decimalPlaces"]!, YAMLChecker.join(path, "decimalPlaces"), "must be 0…10")
        }
        options.unit = check.string(fields["unit"], YAMLChecker.join(path, "unit"))
        for key in ["metaText", "metaIcon", "titleIcon"] { _ = check.string(fields[key], YAMLChecker.join(path, key)) }
        _ = check.bool(fields["includeLegendAvgMax"], YAMLChecker.join(path, "includeLegendAvgMax"))
        _ = check.oneOf(fields["presentation"], YAMLChecker.join(path, "presentation"), ["stacked", "tiled"])
        for axis in ["xAxis", "yAxis"] {
            guard let axisTree = fields[axis] else { continue }
            let at = YAMLChecker.join(path, axis)
            guard
                let entry = check.mapping(
                    axisTree, at, allowed: ["name", "type", "min", "max"], required: ["name", "type"])
            else { continue }
            let name = check.string(entry["name"], "\(at).name")
            _ = check.string(entry["type"], "\(at).type")
            _ = check.integer(entry["min"], "\(at).min")
            _ = check.integer(entry["max"], "\(at).max")
            if axis == "xAxis" { options.xAxis = name } else { options.yAxis = name }
        }
        if let tooltip = fields["chartTooltip"],
            let entry = check.mapping(
                tooltip, YAMLChecker.join(path, "chartTooltip"), allowed: ["titleFormatter", "valueUnit"])
        {
            let at = YAMLChecker.join(path, "chartTooltip")
            _ = check.oneOf(entry["titleFormatter"], "\(at).titleFormatter", ["DATE", "TITLE_CASE", "VALUE_ONLY"])
            _ = check.oneOf(
                entry["valueUnit"], "\(at).valueUnit", ["COUNT", "DAYS", "PER_DAY", "PERCENT", "TIME_INTERVAL"])
        }
        if let tooltip = fields["tooltip"],
            let entry = check.mapping(
                tooltip, YAMLChecker.join(path, "tooltip"), allowed: ["description", "descriptionLink"],
                required: ["description"])
        {
            let at = YAMLChecker.join(path, "tooltip")
            let description = check.string(entry["description"], "\(at).description")
            if let link = check.string(entry["descriptionLink"], "\(at).descriptionLink"), !link.isEmpty,
                let description, !(description.contains("%{linkStart}") && description.contains("%{linkEnd}"))
            {
                check.fail(
                    entry["description"]!, "\(at).description",
                    "with a descriptionLink, must hold %{linkStart} and %{linkEnd}")
            }
        }
        if let items = check.list(fields["fields"], YAMLChecker.join(path, "fields")) {
            for (index, item) in items.enumerated() {
                let at = "\(YAMLChecker.join(path, "fields"))[\(index)]"
                guard case .mapping(let entries) = item.value else {
                    check.fail(item, at, "expected a mapping")
                    continue
                }
                if let component = entries.first(where: { $0.key == "component" })?.value {
                    _ = check.oneOf(
                        component, "\(at).component",
                        [
                            "AssigneeAvatars", "DiffLineChanges", "FormatTime", "FormatTimeRange", "MergeRequestLink",
                            "ChangePercentageIndicator", "MetricLabel", "TrendLine",
                        ])
                }
            }
        }
        if let items = check.list(fields["links"], YAMLChecker.join(path, "links")) {
            for (index, item) in items.enumerated() {
                let at = "\(YAMLChecker.join(path, "links"))[\(index)]"
                guard let entry = check.mapping(item, at, allowed: ["text", "href"], required: ["text", "href"]),
                    let text = check.string(entry["text"], "\(at).text"), let hrefTree = entry["href"]
                else { continue }
                let href = hrefTree.string.map { [$0] } ?? check.strings(hrefTree, "\(at).href") ?? []
                options.links.append(Link(text: text, href: href))
            }
        }
        return options
    }

    private static func parseData(_ tree: YAMLTree, _ path: String, _ check: YAMLChecker) -> Data? {
        guard let fields = check.mapping(tree, path, allowed: ["type", "query"], required: ["query", "type"]),
            let typeTree = fields["type"], let type = check.string(typeTree, YAMLChecker.join(path, "type")),
            let query = fields["query"]
        else { return nil }
        switch type {
        case "cube_analytics":
            return CubeQuery.parse(query, YAMLChecker.join(path, "query"), check).map(Data.cube)
        case "sql":
            let at = YAMLChecker.join(path, "query")
            guard let entry = check.mapping(query, at, allowed: ["sql"], required: ["sql"]),
                let sql = check.string(entry["sql"], "\(at).sql")
            else { return nil }
            guard !sql.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                check.fail(entry["sql"]!, "\(at).sql", "empty")
                return nil
            }
            return .sql(sql)
        default:
            check.fail(
                typeTree, YAMLChecker.join(path, "type"),
                gitLabDataTypes.contains(type)
                    ? "\(type) reads GitLab's own data; Tally reads cube_analytics and sql"
                    : "\"\(type)\" is not a data type; expected cube_analytics or sql")
            return nil
        }
    }
}
