/// A dashboard as GitLab's `analytics_dashboard.json` describes it: `title` and `panels` (required), `version`
/// ("2"), `description`, `status` (beta, experiment), `filters`, `errors`; no other keys.
///
/// Each panel has a `title`, `gridAttributes` (`width` and `height` required, on a 12-column grid) and a
/// `visualization`: the slug of a file in the dashboards folder's `visualizations/`, or one written inline.
struct DashboardDefinition: Sendable {
    struct Grid: Sendable {
        var x: Int?
        var y: Int?
        var width: Int
        var height: Int
    }

    struct PanelDefinition: Sendable {
        var title: String
        var grid: Grid
        var visualization: VisualizationDefinition
        var decimalPlaces: Int?
    }

    /// The `dateRange` filter: off unless `enabled`, with the choices offered and the default.
    struct DateRangeFilter: Sendable {
        var enabled = false
        var options: [DateRange.Preset] = []
        var defaultOption: DateRange.Preset?
        var numberOfDaysLimit: Int?
    }

    var slug: String
    var title: String
    var description: String?
    var status: String?
    var panels: [PanelDefinition]
    var dateRange: DateRangeFilter
    var excludeAnonymousUsers: Bool
    /// Where it was read from (`built-in` for those that ship).
    var file: String

    static let datePresets = ["today", "custom", "7d", "30d", "60d", "90d", "180d", "365d"]

    /// Reads one dashboard; `visualizations` holds the folder's shared ones by slug.
    static func parse(
        _ tree: YAMLTree, slug: String, file: String, visualizations: [String: VisualizationDefinition],
        _ check: YAMLChecker
    ) -> DashboardDefinition? {
        let before = check.issues.count
        guard
            let fields = check.mapping(
                tree, "", allowed: ["version", "title", "description", "panels", "status", "errors", "filters"],
                required: ["title", "panels"])
        else { return nil }
        if let version = fields["version"], version.string != "2" {
            check.fail(version, "version", "must be the string \"2\" (write version: '2'), found \(version.kind)")
        }
        let title = check.string(fields["title"], "title")
        let description = check.string(fields["description"], "description")
        var status: String?
        if let statusTree = fields["status"], !statusTree.isNull {
            status = check.oneOf(statusTree, "status", ["beta", "experiment"])
        }
        check.errorsField(fields["errors"], "errors")
        var dateRange = DateRangeFilter()
        var excludeAnonymous = false
        if let filters = fields["filters"], !filters.isNull,
            let entries = check.mapping(
                filters, "filters", allowed: ["excludeAnonymousUsers", "dateRange", "projects", "filteredSearch"])
        {
            for key in ["excludeAnonymousUsers", "projects"] {
                guard let filter = entries[key] else { continue }
                if let enabled = check.mapping(filter, "filters.\(key)", allowed: ["enabled"]) {
                    let on = check.bool(enabled["enabled"], "filters.\(key).enabled") ?? false
                    if key == "excludeAnonymousUsers" { excludeAnonymous = on }
                }
            }
            if let range = entries["dateRange"],
                let entry = check.mapping(
                    range, "filters.dateRange", allowed: ["enabled", "numberOfDaysLimit", "options", "defaultOption"])
            {
                dateRange.enabled = check.bool(entry["enabled"], "filters.dateRange.enabled") ?? false
                if let limit = check.number(entry["numberOfDaysLimit"], "filters.dateRange.numberOfDaysLimit") {
                    dateRange.numberOfDaysLimit = Int(limit)
                }
                if let items = check.list(entry["options"], "filters.dateRange.options") {
                    dateRange.options = items.enumerated().compactMap { index, item in
                        check.oneOf(item, "filters.dateRange.options[\(index)]", datePresets).flatMap(
                            DateRange.Preset.init(rawValue:))
                    }
                }
                dateRange.defaultOption = check.oneOf(
                    entry["defaultOption"], "filters.dateRange.defaultOption", datePresets
                )
                .flatMap(DateRange.Preset.init(rawValue:))
            }
            if let search = entries["filteredSearch"],
                let entry = check.mapping(search, "filters.filteredSearch", allowed: ["enabled", "options"])
            {
                _ = check.bool(entry["enabled"], "filters.filteredSearch.enabled")
                if let items = check.list(entry["options"], "filters.filteredSearch.options") {
                    for (index, item) in items.enumerated() {
                        let at = "filters.filteredSearch.options[\(index)]"
                        guard
                            let option = check.mapping(
                                item, at, allowed: ["token", "operator", "unique", "maxSuggestions"],
                                required: ["token"])
                        else { continue }
                        _ = check.oneOf(option["token"], "\(at).token", ["assignee", "author", "label", "milestone"])
                        _ = check.oneOf(option["operator"], "\(at).operator", ["is", "is_not", "is_not_or"])
                        _ = check.bool(option["unique"], "\(at).unique")
                        _ = check.number(option["maxSuggestions"], "\(at).maxSuggestions")
                    }
                }
            }
        }
        var panels: [PanelDefinition] = []
        if let items = check.list(fields["panels"], "panels") {
            for (index, item) in items.enumerated() {
                if let panel = parsePanel(item, "panels[\(index)]", visualizations, check) { panels.append(panel) }
            }
        }
        guard check.issues.count == before, let title else { return nil }
        return DashboardDefinition(
            slug: slug, title: title, description: description, status: status, panels: panels, dateRange: dateRange,
            excludeAnonymousUsers: excludeAnonymous, file: file)
    }

    private static func parsePanel(
        _ tree: YAMLTree, _ path: String, _ visualizations: [String: VisualizationDefinition], _ check: YAMLChecker
    ) -> PanelDefinition? {
        guard
            let fields = check.mapping(
                tree, path, allowed: ["title", "gridAttributes", "visualization", "queryOverrides", "options"],
                required: ["gridAttributes", "title", "visualization"])
        else { return nil }
        let title = check.string(fields["title"], "\(path).title")
        var grid: Grid?
        if let gridTree = fields["gridAttributes"],
            let entry = check.mapping(
                gridTree, "\(path).gridAttributes",
                allowed: ["yPos", "xPos", "width", "height", "minWidth", "minHeight", "maxWidth", "maxHeight"],
                required: ["height", "width"])
        {
            let at = "\(path).gridAttributes"
            for key in ["minWidth", "minHeight", "maxWidth", "maxHeight"] {
                _ = check.integer(entry[key], "\(at).\(key)")
            }
            let x = check.integer(entry["xPos"], "\(at).xPos")
            let y = check.integer(entry["yPos"], "\(at).yPos")
            let width = check.integer(entry["width"], "\(at).width")
            let height = check.integer(entry["height"], "\(at).height")
            if let width, !(1...12).contains(width) {
                check.fail(entry["width"]!, "\(at).width", "must be 1…12 (the grid has 12 columns)")
            }
            if let x, !(0...11).contains(x) { check.fail(entry["xPos"]!, "\(at).xPos", "must be 0…11") }
            if let x, let width, x + width > 12 {
                check.fail(entry["width"]!, "\(at).width", "xPos + width must be at most 12")
            }
            if let height, height < 1 { check.fail(entry["height"]!, "\(at).height", "must be at least 1") }
            if let y, y < 0 { check.fail(entry["yPos"]!, "\(at).yPos", "must not be negative") }
            if let width, let height { grid = Grid(x: x, y: y, width: width, height: height) }
        }
        var decimalPlaces: Int?
        if let options = fields["options"],
            let entry = check.mapping(options, "\(path).options", allowed: ["decimalPlaces"])
        {
            decimalPlaces = check.integer(entry["decimalPlaces"], "\(path).options.decimalPlaces")
        }
        if let overrides = fields["queryOverrides"],
            let entry = check.mapping(
                overrides, "\(path).queryOverrides", allowed: ["timeDimensions", "namespace", "filters"])
        {
            let at = "\(path).queryOverrides"
            if entry["timeDimensions"] != nil || entry["filters"] != nil || entry["namespace"] != nil {
                check.fail(
                    overrides, at, "queryOverrides are not supported by Tally; write the query in the visualization")
            }
        }
        var visualization: VisualizationDefinition?
        if let visualizationTree = fields["visualization"] {
            switch visualizationTree.value {
            case .string(let slug):
                visualization = visualizations[slug]
                if visualization == nil {
                    check.fail(
                        visualizationTree, "\(path).visualization",
                        "no visualization \"\(slug)\" in visualizations/ (known: \(visualizations.keys.sorted().joined(separator: ", ")))"
                    )
                }
            case .mapping:
                visualization = VisualizationDefinition.parse(visualizationTree, "\(path).visualization", check)
            default:
                check.fail(
                    visualizationTree, "\(path).visualization",
                    "expected a slug or a visualization, found \(visualizationTree.kind)")
            }
        }
        guard let title, let grid, let visualization else { return nil }
        return PanelDefinition(title: title, grid: grid, visualization: visualization, decimalPlaces: decimalPlaces)
    }
}
