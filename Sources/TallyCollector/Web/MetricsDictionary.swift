import InternalEvents

/// `/dictionary`: every metric definition the collector was given (`tally collect --definitions DIR`), as
/// metrics.gitlab.com lists GitLab's: key path, description, data source, time frame, status, product group and the
/// events it reads, with a search (`q`, in key paths and descriptions) and filters (`data_source`, `time_frame`,
/// `status`, `product_group`). `?format=json` (or `/dictionary.json`) gives the same selection as JSON.
struct MetricsDictionary: Sendable {
    static let path = "/dictionary"

    let metrics: [MetricDefinition]

    init(metrics: [MetricDefinition]) {
        self.metrics = metrics.sorted { $0.keyPath < $1.keyPath }
    }

    /// The metrics a request selects.
    func selection(_ parameters: PageParameters) -> [MetricDefinition] {
        let query = parameters["q"]?.lowercased()
        return metrics.filter { metric in
            if let query, !metric.keyPath.lowercased().contains(query),
                !metric.description.lowercased().contains(query)
            {
                return false
            }
            if let source = parameters["data_source"], metric.dataSource.rawValue != source { return false }
            if let frame = parameters["time_frame"], metric.timeFrame.rawValue != frame { return false }
            if let status = parameters["status"], metric.status.rawValue != status { return false }
            if let group = parameters["product_group"], metric.productGroup != group { return false }
            return true
        }
    }

    /// One metric's fields, as the JSON lists them.
    static func fields(_ metric: MetricDefinition) -> JSONValue {
        .object([
            ("key_path", .string(metric.keyPath)), ("description", .string(metric.description)),
            ("data_source", .string(metric.dataSource.rawValue)), ("time_frame", .string(metric.timeFrame.rawValue)),
            ("status", .string(metric.status.rawValue)),
            ("product_group", metric.productGroup.map(JSONValue.string) ?? .null),
            ("value_type", .string(metric.valueType.rawValue)),
            ("data_category", .string(metric.dataCategory.rawValue)),
            ("tiers", .array(metric.tiers.map { .string($0.rawValue) })),
            ("events", .array(eventNames(metric).map(JSONValue.string))),
            ("instrumentation_class", metric.instrumentationClass.map(JSONValue.string) ?? .null),
            ("milestone", metric.milestone.map(JSONValue.string) ?? .null),
            ("file", .string(metric.source.file)),
        ])
    }

    /// The events a metric reads: its `events` entries (with their unique identifier), or its `options.events`.
    static func eventNames(_ metric: MetricDefinition) -> [String] {
        let rules = metric.events.map { rule in rule.unique.map { "\(rule.name) (unique \($0))" } ?? rule.name }
        return rules.isEmpty ? metric.optionEvents : rules
    }

    func json(_ parameters: PageParameters) -> String {
        let selected = selection(parameters)
        return JSONValue.object([
            ("count", .integer(Int64(selected.count))), ("metrics", .array(selected.map(Self.fields))),
        ]).serialized()
    }

    func html(_ parameters: PageParameters) -> HTML {
        let selected = selection(parameters)
        func choices(_ values: [String]) -> [String] { Array(Set(values)).sorted() }
        let fields: HTML =
            """
            <label>Search <input class="search" type="search" name="q" value="\(parameters["q"] ?? "")" \
            placeholder="key path or description"></label>
            """
            + PageLayout.select(
                "data_source", label: "Data source", options: DataSource.allCases.map(\.rawValue),
                selected: parameters["data_source"])
            + PageLayout.select(
                "time_frame", label: "Time frame", options: TimeFrame.allCases.map(\.rawValue),
                selected: parameters["time_frame"])
            + PageLayout.select(
                "status", label: "Status", options: MetricStatus.allCases.map(\.rawValue),
                selected: parameters["status"])
            + PageLayout.select(
                "product_group", label: "Product group", options: choices(metrics.compactMap(\.productGroup)),
                selected: parameters["product_group"])
        let rows = HTML.joined(
            selected.map { metric in
                let events = HTML.joined(Self.eventNames(metric).map { "<code>\($0)</code> " })
                let chart = MetricsPage.path + PageParameters([("key_path", metric.keyPath)]).queryString
                return """
                    <tr><th scope="row"><a href="\(chart)">\(metric.keyPath)</a></th><td class="wrap">\
                    \(metric.description)</td><td>\(metric.dataSource.rawValue)</td><td>\(metric.timeFrame.rawValue)</td>\
                    <td>\(metric.status.rawValue)</td><td>\(metric.productGroup ?? "")</td><td class="wrap">\(events)</td></tr>
                    """
            })
        let json = Self.path + ".json" + parameters.queryString
        let summary: HTML =
            metrics.isEmpty
            ? "<p class=\"empty\">No definitions: start tally collect with --definitions DIR (a folder of GitLab-format metric YAML).</p>"
            : "<p class=\"muted\">\(selected.count) of \(metrics.count) metrics · <a href=\"\(json)\">JSON</a></p>"
        return PageLayout.page(
            title: "Metrics dictionary", path: Self.path,
            body: """
                \(PageLayout.filters(range: nil, fields: fields))\(summary)
                <section class="panel"><div class="table-wrap"><table id="dictionary"><thead><tr>\
                <th scope="col">Key path</th><th scope="col">Description</th><th scope="col">Data source</th>\
                <th scope="col">Time frame</th><th scope="col">Status</th><th scope="col">Product group</th>\
                <th scope="col">Events</th></tr></thead><tbody>\(rows)</tbody></table></div></section>
                """)
    }
}
