import Yams

/// Turns one event YAML document into an `EventDefinition`, following `config/events/schema.json`.
struct EventDefinitionParser {
    let options: DefinitionLoader.Options

    static let knownFields = [
        "description", "category", "internal_events", "action", "extra_properties", "identifiers",
        "additional_properties", "iglu_schema_url", "product_group", "product_categories", "introduced_by_url",
        "milestone", "status", "milestone_removed", "removed_by_url", "classification", "tiers",
        "extra_tracking_classes",
        // Fields of other GitLab versions' event schema.
        "distributions", "extra_trackers", "product_section", "product_stage", "product_category",
        "label_description", "property_description", "value_description",
    ]

    func parse(_ root: Node, file: String, diagnostics: inout [DefinitionDiagnostic]) -> EventDefinition? {
        guard var reader = YAMLNodeReader(root, file: file, path: "", diagnostics: &diagnostics) else { return nil }
        let errorsBefore = diagnostics.filter { $0.severity == .error }.count
        let description = reader.string("description", required: true, into: &diagnostics)
        let category = reader.string("category", into: &diagnostics)
        let internalEvents = reader.bool("internal_events", into: &diagnostics)
        if internalEvents == false {
            reader.error("internal_events", "expected true (or leave the field out), found false", into: &diagnostics)
        }
        let action = reader.string("action", required: true, check: DefinitionChecks.action, into: &diagnostics)
        if let extra = reader.node("extra_properties"), !extra.isNull, extra.mapping == nil {
            reader.error("extra_properties", "expected a mapping or null, found \(extra.summary)", into: &diagnostics)
        }
        let identifiers = reader.enumList("identifiers", as: EventIdentifier.self, nullable: true, into: &diagnostics)
        let properties = parseAdditionalProperties(&reader, diagnostics: &diagnostics)
        _ = reader.string("iglu_schema_url", nullable: true, into: &diagnostics)
        let productGroup = reader.string("product_group", required: true, into: &diagnostics)
        reader.checkListed(
            "product_group", productGroup.map { [$0] }, in: self.options.productGroups, into: &diagnostics)
        let categories = reader.stringList("product_categories", into: &diagnostics)
        reader.checkListed("product_categories", categories, in: self.options.productCategories, into: &diagnostics)
        let introducedBy = reader.string(
            "introduced_by_url", required: true, nullable: true, check: DefinitionChecks.uri, into: &diagnostics)
        let milestone = reader.string(
            "milestone", required: true, nullable: true, check: DefinitionChecks.milestone, into: &diagnostics)
        let status = reader.string(
            "status",
            check: { ["active", "removed"].contains($0) ? nil : "expected one of active, removed, found \"\($0)\"" },
            into: &diagnostics)
        _ = reader.string("milestone_removed", check: DefinitionChecks.milestone, into: &diagnostics)
        _ = reader.string("removed_by_url", check: DefinitionChecks.uri, into: &diagnostics)
        if status == "removed" {
            for field in ["removed_by_url", "milestone_removed"] where !reader.has(field) {
                reader.error(
                    field, "required when status is removed", line: reader.line(of: "status"), into: &diagnostics)
            }
        }
        if status == "active" {
            for field in ["removed_by_url", "milestone_removed"] {
                if let node = reader.node(field), !node.isNull {
                    reader.error(field, "must be empty while status is active", into: &diagnostics)
                }
            }
        }
        let classification = reader.string(
            "classification", nullable: true, check: { $0 == "duo" ? nil : "expected duo, found \"\($0)\"" },
            into: &diagnostics)
        let tiers = reader.enumList("tiers", as: Tier.self, required: true, into: &diagnostics)
        _ = reader.stringList("extra_tracking_classes", into: &diagnostics)
        reader.accept(Self.knownFields)
        reader.reportUnknownFields(
            strict: self.options.strict, expected: "the fields of GitLab's event schema", into: &diagnostics)

        let errorsAfter = diagnostics.filter { $0.severity == .error }.count
        guard errorsAfter == errorsBefore, let action, let description else { return nil }
        return EventDefinition(
            action: action, description: description, category: category, isInternalEvent: internalEvents == true,
            identifiers: identifiers ?? [], additionalProperties: properties, productGroup: productGroup,
            productCategories: categories ?? [], milestone: milestone, introducedByURL: introducedBy,
            tiers: tiers ?? [],
            status: status, classification: classification, source: SourceLocation(file: file, line: reader.line))
    }

    /// `additional_properties`: each declared property is `{description: string}` (a null custom entry declares
    /// the property without a description). GitLab's older event schema also wanted `label` and `property`, or
    /// `value`, declared beside custom properties; its current one dropped that rule, and so does Tally.
    private func parseAdditionalProperties(
        _ reader: inout YAMLNodeReader, diagnostics: inout [DefinitionDiagnostic]
    ) -> [String: String] {
        guard let node = reader.node("additional_properties"), !node.isNull else { return [:] }
        guard
            let properties = YAMLNodeReader(
                node, file: reader.file, path: "additional_properties", diagnostics: &diagnostics)
        else { return [:] }
        var declared: [String: String] = [:]
        for name in properties.fieldNames {
            guard let value = properties.mappingNode(name) else { continue }
            let isBase = ["label", "property", "value"].contains(name)
            if !isBase && value.isNull {
                declared[name] = ""
                continue
            }
            guard
                var entry = YAMLNodeReader(
                    value, file: reader.file, path: "additional_properties.\(name)", diagnostics: &diagnostics)
            else { continue }
            if let description = entry.string("description", required: true, into: &diagnostics) {
                declared[name] = description
            }
            entry.reportUnknownFields(strict: true, expected: "description", into: &diagnostics)
        }
        return declared
    }
}

extension YAMLNodeReader {
    /// The value node of a field without marking it.
    func mappingNode(_ field: String) -> Node? {
        mapping.first { ($0.key.scalar?.string ?? "") == field }?.value
    }
}
