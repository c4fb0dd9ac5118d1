import Yams

/// Turns one metric YAML document into its `MetricDefinition`s (one per time frame), following
/// `config/metrics/schema/base.json` and its parts.
struct MetricDefinitionParser {
    let options: DefinitionLoader.Options

    static let knownFields = [
        "key_path", "description", "product_group", "product_categories", "value_type", "status", "milestone",
        "milestone_removed", "introduced_by_url", "removed_by_url", "repair_issue_url", "options", "data_source",
        "data_category", "instrumentation_class", "performance_indicator_type", "tiers", "value_json_schema", "name",
        "events", "time_frame",
        // Fields of other GitLab versions' metric schema.
        "distribution", "tier", "product_section", "product_stage", "product_category",
    ]

    /// `redis_hll` metrics GitLab's schema lets through without an instrumentation class.
    static let legacyRedisHLLKeyPaths: Set<String> = [
        "usage_activity_by_stage_monthly.create.merge_requests_users",
        "usage_activity_by_stage_monthly.create.action_monthly_active_users_web_ide_edit",
        "usage_activity_by_stage_monthly.create.action_monthly_active_users_sfe_edit",
        "usage_activity_by_stage_monthly.create.action_monthly_active_users_snippet_editor_edit",
        "usage_activity_by_stage_monthly.create.action_monthly_active_users_sse_edit",
        "counts_monthly.aggregated_metrics.product_analytics_test_metrics_union",
        "counts_weekly.aggregated_metrics.product_analytics_test_metrics_union",
        "counts_monthly.aggregated_metrics.product_analytics_test_metrics_intersection",
        "counts_weekly.aggregated_metrics.product_analytics_test_metrics_intersection",
    ]

    func parse(_ root: Node, file: String, diagnostics: inout [DefinitionDiagnostic]) -> [MetricDefinition] {
        guard var reader = YAMLNodeReader(root, file: file, path: "", diagnostics: &diagnostics) else { return [] }
        let errorsBefore = diagnostics.filter { $0.severity == .error }.count
        let keyPath = reader.string(
            "key_path", required: true, check: { $0.isEmpty ? "expected a non-empty dotted path" : nil },
            into: &diagnostics)
        let description = reader.string("description", required: true, into: &diagnostics)
        let productGroup = reader.string("product_group", required: true, into: &diagnostics)
        reader.checkListed(
            "product_group", productGroup.map { [$0] }, in: self.options.productGroups, into: &diagnostics)
        let categories = reader.stringList("product_categories", into: &diagnostics)
        reader.checkListed("product_categories", categories, in: self.options.productCategories, into: &diagnostics)
        let valueType = reader.enumValue("value_type", as: ValueType.self, required: true, into: &diagnostics)
        let status = reader.enumValue("status", as: MetricStatus.self, required: true, into: &diagnostics)
        let milestone = reader.string(
            "milestone", required: true, check: DefinitionChecks.milestone, into: &diagnostics)
        let milestoneRemoved = reader.string("milestone_removed", check: DefinitionChecks.milestone, into: &diagnostics)
        let introducedBy = reader.string(
            "introduced_by_url", required: true, check: DefinitionChecks.uri, into: &diagnostics)
        let removedBy = reader.string("removed_by_url", nullable: true, check: DefinitionChecks.uri, into: &diagnostics)
        let repairIssue = reader.string("repair_issue_url", check: DefinitionChecks.uri, into: &diagnostics)
        var options: JSONValue?
        if let node = reader.node("options") {
            if node.mapping == nil {
                reader.error("options", "expected a mapping, found \(node.summary)", into: &diagnostics)
            } else {
                options = node.definitionValue
            }
        }
        let dataSource = reader.enumValue("data_source", as: DataSource.self, required: true, into: &diagnostics)
        let dataCategory = reader.enumValue("data_category", as: DataCategory.self, required: true, into: &diagnostics)
        let instrumentationClass = reader.string(
            "instrumentation_class", check: DefinitionChecks.instrumentationClass, into: &diagnostics)
        let indicators = reader.enumList(
            "performance_indicator_type", as: PerformanceIndicatorType.self, into: &diagnostics)
        let tiers = reader.enumList("tiers", as: Tier.self, required: true, unique: true, into: &diagnostics)
        let valueJSONSchema = reader.string("value_json_schema", into: &diagnostics)
        _ = reader.string("name", into: &diagnostics)
        let timeFrames = parseTimeFrames(&reader, diagnostics: &diagnostics)
        let events = parseEvents(&reader, dataSource: dataSource, diagnostics: &diagnostics)
        reader.accept(Self.knownFields)
        reader.reportUnknownFields(
            strict: self.options.strict, expected: "the fields of GitLab's metric schema", into: &diagnostics)

        // Conditional rules of the schema's parts.
        if valueType == .object && valueJSONSchema == nil {
            reader.error(
                "value_json_schema", "required when value_type is object", line: reader.line(of: "value_type"),
                into: &diagnostics)
        }
        switch status {
        case .broken where !reader.has("repair_issue_url"):
            reader.error(
                "repair_issue_url", "required when status is broken", line: reader.line(of: "status"),
                into: &diagnostics)
        case .removed:
            for field in ["removed_by_url", "milestone_removed"] where !reader.has(field) {
                reader.error(
                    field, "required when status is removed", line: reader.line(of: "status"), into: &diagnostics)
            }
        default: break
        }
        switch dataSource {
        case .internalEvents:
            if instrumentationClass != nil {
                reader.error(
                    "instrumentation_class",
                    "not allowed for data_source internal_events; the class follows from events (total, unique or sum)",
                    into: &diagnostics)
            }
            checkEventKinds(events ?? [], timeFrames: timeFrames, reader: reader, diagnostics: &diagnostics)
        case .redisHLL:
            checkRedisHLL(
                keyPath: keyPath, instrumentationClass: instrumentationClass, options: options,
                hasEvents: !(events ?? []).isEmpty, reader: reader, diagnostics: &diagnostics)
        case .redis where status != .removed:
            checkRedis(
                instrumentationClass: instrumentationClass, options: options, reader: reader, diagnostics: &diagnostics)
        default:
            break
        }

        let errorsAfter = diagnostics.filter { $0.severity == .error }.count
        guard errorsAfter == errorsBefore, let keyPath, let description, let valueType, let status, let dataSource,
            let dataCategory, let timeFrames
        else { return [] }
        let expands = timeFrames.isList
        return timeFrames.frames.map { frame in
            MetricDefinition(
                keyPath: expands ? keyPath + frame.keyPathSuffix : keyPath, declaredKeyPath: keyPath,
                description: description, valueType: valueType, status: status, productGroup: productGroup,
                productCategories: categories ?? [], timeFrame: frame, dataSource: dataSource,
                dataCategory: dataCategory,
                milestone: milestone, milestoneRemoved: milestoneRemoved, introducedByURL: introducedBy,
                removedByURL: removedBy, repairIssueURL: repairIssue, instrumentationClass: instrumentationClass,
                options: options, events: events ?? [], performanceIndicatorTypes: indicators ?? [], tiers: tiers ?? [],
                valueJSONSchema: valueJSONSchema, source: SourceLocation(file: file, line: reader.line))
        }
    }

    private struct TimeFrames {
        var frames: [TimeFrame]
        var isList: Bool
    }

    /// `time_frame`: one of 7d, 28d, all, none; or a list of unique 7d, 28d, all.
    private func parseTimeFrames(
        _ reader: inout YAMLNodeReader, diagnostics: inout [DefinitionDiagnostic]
    ) -> TimeFrames? {
        guard let node = reader.node("time_frame") else {
            reader.error(
                "time_frame", "required field is missing; expected 7d, 28d, all, none or a list of 7d, 28d, all",
                into: &diagnostics)
            return nil
        }
        if case .sequence = node {
            guard let frames = reader.enumList("time_frame", as: TimeFrame.self, unique: true, into: &diagnostics)
            else { return nil }
            if frames.contains(.none) {
                reader.error(
                    "time_frame", "none can't be part of a list; use time_frame: none alone", into: &diagnostics)
                return nil
            }
            if frames.isEmpty {
                reader.error("time_frame", "expected at least one of 7d, 28d, all in the list", into: &diagnostics)
                return nil
            }
            return TimeFrames(frames: frames, isList: true)
        }
        guard let frame = reader.enumValue("time_frame", as: TimeFrame.self, into: &diagnostics) else { return nil }
        return TimeFrames(frames: [frame], isList: false)
    }

    /// `events` of internal-events metrics (`internal_events.json`).
    private func parseEvents(
        _ reader: inout YAMLNodeReader, dataSource: DataSource?, diagnostics: inout [DefinitionDiagnostic]
    ) -> [MetricDefinition.EventRule]? {
        guard let node = reader.node("events") else {
            if dataSource == .internalEvents {
                reader.error(
                    "events", "required for data_source internal_events; list the events the metric counts",
                    into: &diagnostics)
            }
            return nil
        }
        // GitLab's schema constrains `events` for internal-events metrics; RedisHLLMetric reads the same shape.
        guard dataSource == .internalEvents || dataSource == .redisHLL else { return nil }
        guard case .sequence(let sequence) = node else {
            reader.error(
                "events", "expected a list of {name, unique, filter, operator}, found \(node.summary)",
                into: &diagnostics)
            return nil
        }
        if sequence.isEmpty {
            reader.error("events", "expected at least one event", into: &diagnostics)
        }
        var rules: [MetricDefinition.EventRule] = []
        for (index, element) in sequence.enumerated() {
            guard
                var entry = YAMLNodeReader(
                    element, file: reader.file, path: "events[\(index)]", diagnostics: &diagnostics)
            else { continue }
            let name = entry.string("name", required: true, into: &diagnostics)
            let unique = parseUnique(&entry, diagnostics: &diagnostics)
            let aggregation = entry.enumValue("operator", as: AggregationOperator.self, into: &diagnostics)
            switch aggregation {
            case .total where unique == nil:
                entry.error(
                    "operator",
                    "total counts each value of the unique property; add unique (label, property, value or a custom property)",
                    into: &diagnostics)
            case .sumOfValue where unique != nil:
                entry.error(
                    "operator", "sum(value) adds values up and can't be combined with unique", into: &diagnostics)
            default: break
            }
            let filter = parseFilter(&entry, diagnostics: &diagnostics)
            entry.reportUnknownFields(strict: true, expected: "name, unique, filter, operator", into: &diagnostics)
            if let name { rules.append(.init(name: name, unique: unique, filter: filter, aggregation: aggregation)) }
        }
        return rules
    }

    /// `unique`: `user.id`, `project.id`, `namespace.id`, or an additional property's name (GitLab's current schema
    /// takes any string and keys by the part before the first dot).
    private func parseUnique(
        _ entry: inout YAMLNodeReader, diagnostics: inout [DefinitionDiagnostic]
    ) -> UniqueIdentifier? {
        guard let text = entry.string("unique", into: &diagnostics) else { return nil }
        guard let unique = UniqueIdentifier(rawValue: text) else {
            entry.error(
                "unique",
                "expected user.id, project.id, namespace.id or an additional property's name (letters, digits, _), found \"\(text)\"",
                into: &diagnostics)
            return nil
        }
        return unique
    }

    /// `filter`: `label`/`property` strings, `value` a number, other keys a string or a number.
    private func parseFilter(
        _ entry: inout YAMLNodeReader, diagnostics: inout [DefinitionDiagnostic]
    ) -> [String: PropertyValue] {
        guard let node = entry.node("filter") else { return [:] }
        guard
            let filter = YAMLNodeReader(
                node, file: entry.file, path: entry.fieldPath("filter"), diagnostics: &diagnostics)
        else { return [:] }
        var values: [String: PropertyValue] = [:]
        for name in filter.fieldNames {
            guard let value = filter.mappingNode(name) else { continue }
            let line = filter.line(of: name)
            switch name {
            case "label", "property":
                if let text = value.stringValue {
                    values[name] = .string(text)
                } else {
                    filter.error(name, "expected a string, found \(value.summary)", line: line, into: &diagnostics)
                }
            case "value":
                if let number = value.numberValue {
                    values[name] = number
                } else {
                    filter.error(name, "expected a number, found \(value.summary)", line: line, into: &diagnostics)
                }
            default:
                if let number = value.numberValue {
                    values[name] = number
                } else if let text = value.stringValue {
                    values[name] = .string(text)
                } else {
                    filter.error(
                        name, "expected a string or a number, found \(value.summary)", line: line, into: &diagnostics)
                }
            }
        }
        return values
    }

    /// One kind of rule per metric (total, unique, sum or unique total), and unique counts and unique totals only
    /// per week (`7d`/`28d`, GitLab's `valid_timeframe_for_unique_property`).
    private func checkEventKinds(
        _ rules: [MetricDefinition.EventRule], timeFrames: TimeFrames?, reader: YAMLNodeReader,
        diagnostics: inout [DefinitionDiagnostic]
    ) {
        let kinds = Set(rules.map(\.kind))
        if kinds.count > 1 {
            reader.error(
                "events",
                "mixes \(kinds.map(\.rawValue).sorted().joined(separator: " and ")) rules; a metric counts one way (all unique, all total, all sums, or all unique totals)",
                into: &diagnostics)
        }
        if !kinds.isDisjoint(with: [.unique, .uniqueTotal]), let timeFrames,
            let bad = timeFrames.frames.first(where: { !$0.isTimeFramed })
        {
            reader.error(
                "time_frame",
                "unique counts exist per ISO week only: expected 7d or 28d, found \(bad.rawValue)", into: &diagnostics)
        }
    }

    /// `redis_hll.json`: `RedisHLLMetric` (events in `options.events` or in `events`), `AggregatedMetric` with
    /// `options.events` and `options.aggregate.attribute`, or one of GitLab's listed legacy key paths.
    private func checkRedisHLL(
        keyPath: String?, instrumentationClass: String?, options: JSONValue?, hasEvents: Bool,
        reader: YAMLNodeReader, diagnostics: inout [DefinitionDiagnostic]
    ) {
        if let keyPath, Self.legacyRedisHLLKeyPaths.contains(keyPath), instrumentationClass == nil { return }
        switch instrumentationClass {
        case "RedisHLLMetric":
            if options != nil || !hasEvents {
                checkOptionEvents(options, allowed: ["events"], reader: reader, diagnostics: &diagnostics)
            }
        case "AggregatedMetric":
            checkOptionEvents(options, allowed: ["events", "aggregate"], reader: reader, diagnostics: &diagnostics)
            let attribute = options?["aggregate"]?["attribute"]?.string
            if attribute == nil {
                reader.error(
                    "options", "AggregatedMetric needs options.aggregate.attribute (user.id or project.id)",
                    into: &diagnostics)
            }
        default:
            reader.error(
                "instrumentation_class",
                "data_source redis_hll needs instrumentation_class RedisHLLMetric or AggregatedMetric with options.events, found \(instrumentationClass.map { "\"\($0)\"" } ?? "none")",
                into: &diagnostics)
        }
    }

    private func checkOptionEvents(
        _ options: JSONValue?, allowed: Set<String>, reader: YAMLNodeReader,
        diagnostics: inout [DefinitionDiagnostic]
    ) {
        guard let options, case .object(let pairs) = options else {
            reader.error(
                "options", "required: options.events (or events), the events to count",
                line: reader.line(of: "instrumentation_class"),
                into: &diagnostics)
            return
        }
        guard let events = options["events"] else {
            reader.error("options", "required: options.events, a list of event names", into: &diagnostics)
            return
        }
        if events.array == nil || events.array!.contains(where: { $0.string == nil }) {
            reader.error("options", "options.events must be a list of event names", into: &diagnostics)
        }
        for pair in pairs where !allowed.contains(pair.key) {
            reader.error(
                "options", "unknown option \(pair.key); expected \(allowed.sorted().joined(separator: ", "))",
                into: &diagnostics)
        }
    }

    /// `redis.json`: `RedisMetric` with `options.event` and `options.prefix` (unless the metric is removed).
    private func checkRedis(
        instrumentationClass: String?, options: JSONValue?, reader: YAMLNodeReader,
        diagnostics: inout [DefinitionDiagnostic]
    ) {
        guard instrumentationClass == "RedisMetric" else {
            reader.error(
                "instrumentation_class",
                "data_source redis needs instrumentation_class RedisMetric, found \(instrumentationClass.map { "\"\($0)\"" } ?? "none")",
                into: &diagnostics)
            return
        }
        guard let options, case .object(let pairs) = options else {
            reader.error(
                "options", "RedisMetric needs options.event and options.prefix",
                line: reader.line(of: "instrumentation_class"), into: &diagnostics)
            return
        }
        if options["event"]?.string == nil {
            reader.error("options", "RedisMetric needs options.event, a string", into: &diagnostics)
        }
        switch options["prefix"] {
        case .some(.string), .some(.null): break
        default: reader.error("options", "RedisMetric needs options.prefix, a string or null", into: &diagnostics)
        }
        if let usage = options["include_usage_prefix"], case .bool = usage {
        } else if options["include_usage_prefix"] != nil {
            reader.error("options", "options.include_usage_prefix must be true or false", into: &diagnostics)
        }
        for pair in pairs where !["event", "prefix", "include_usage_prefix"].contains(pair.key) {
            reader.error(
                "options", "unknown option \(pair.key); expected event, prefix, include_usage_prefix",
                into: &diagnostics)
        }
    }
}
