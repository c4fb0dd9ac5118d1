import ArgumentParser
import Foundation
import InternalEvents

/// `tally definitions list`: the metrics dictionary in the terminal, or as JSON.
struct ListDefinitionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List metrics (key path, time frame, data source, status, what they read) and events."
    )

    @OptionGroup var definitions: DefinitionsOptions

    @Flag(help: "Only events.")
    var events = false

    @Flag(help: "Only metrics.")
    var metrics = false

    @Flag(help: "JSON for tools instead of a table.")
    var json = false

    func run() async throws {
        let catalog = try definitions.loadOrExit()
        let showEvents = events || !metrics
        let showMetrics = metrics || !events
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let listing = DefinitionListing(
                events: showEvents
                    ? catalog.events.values.sorted { $0.action < $1.action }.map { .init($0, catalog) } : nil,
                metrics: showMetrics ? catalog.metrics.map(DefinitionListing.Metric.init) : nil)
            print(String(decoding: try encoder.encode(listing), as: UTF8.self))
            return
        }
        if showMetrics {
            let rows = catalog.metrics.map { metric in
                [
                    metric.keyPath, metric.timeFrame.rawValue, metric.dataSource.rawValue, metric.status.rawValue,
                    Self.reads(metric),
                ]
            }
            print(TextTable.render(header: ["KEY PATH", "FRAME", "SOURCE", "STATUS", "READS"], rows: rows))
        }
        if showEvents {
            if showMetrics { print("") }
            let rows = catalog.events.values.sorted { $0.action < $1.action }.map { event in
                [
                    event.action, event.identifiers.map(\.rawValue).joined(separator: ","),
                    event.additionalProperties.keys.sorted().joined(separator: ","),
                    String(catalog.metrics(readingEvent: event.action).count),
                ]
            }
            print(TextTable.render(header: ["EVENT", "IDENTIFIERS", "PROPERTIES", "METRICS"], rows: rows))
        }
    }

    /// What a metric reads: its rules (`event (unique user, filter label:x)`), legacy events, or its class.
    static func reads(_ metric: MetricDefinition) -> String {
        if !metric.events.isEmpty {
            return metric.selectionRules.map(\.summary).joined(separator: "; ")
        }
        if !metric.optionEvents.isEmpty {
            return "\(metric.instrumentationClass ?? "legacy"): " + metric.optionEvents.joined(separator: ", ")
        }
        return metric.instrumentationClass ?? "-"
    }
}

extension EventSelectionRule {
    /// `create_note`, `create_note (unique user)`, `export (sum value, filter label:csv)`, `run (count per label)`.
    var summary: String {
        var details: [String] = []
        switch aggregation {
        case .total: details.append("count per \(unique?.keyPart ?? "value")")
        case .sumOfValue: details.append("sum value")
        case nil: if let unique { details.append("unique \(unique.keyPart)") }
        }
        if !filter.isEmpty { details.append("filter \(canonicalFilter)") }
        return details.isEmpty ? name : "\(name) (\(details.joined(separator: ", ")))"
    }
}

/// The JSON shape of `tally definitions list --json`.
struct DefinitionListing: Encodable {
    struct Event: Encodable {
        var action: String
        var description: String
        var identifiers: [String]
        var additionalProperties: [String: String]
        var file: String
        var metrics: [String]

        init(_ event: EventDefinition, _ catalog: DefinitionCatalog) {
            action = event.action
            description = event.description
            identifiers = event.identifiers.map(\.rawValue)
            additionalProperties = event.additionalProperties
            file = event.source.file
            metrics = catalog.metrics(readingEvent: event.action).map(\.keyPath)
        }

        enum CodingKeys: String, CodingKey {
            case action, description, identifiers, file, metrics
            case additionalProperties = "additional_properties"
        }
    }

    struct Metric: Encodable {
        var keyPath: String
        var description: String
        var timeFrame: String
        var dataSource: String
        var dataCategory: String
        var status: String
        var valueType: String
        var instrumentationClass: String?
        var events: [EventSelectionRule]
        var optionEvents: [String]
        var file: String

        init(_ metric: MetricDefinition) {
            keyPath = metric.keyPath
            description = metric.description
            timeFrame = metric.timeFrame.rawValue
            dataSource = metric.dataSource.rawValue
            dataCategory = metric.dataCategory.rawValue
            status = metric.status.rawValue
            valueType = metric.valueType.rawValue
            instrumentationClass = metric.instrumentationClass
            events = metric.selectionRules
            optionEvents = metric.optionEvents
            file = metric.source.file
        }

        enum CodingKeys: String, CodingKey {
            case description, status, events, file
            case keyPath = "key_path"
            case timeFrame = "time_frame"
            case dataSource = "data_source"
            case dataCategory = "data_category"
            case valueType = "value_type"
            case instrumentationClass = "instrumentation_class"
            case optionEvents = "option_events"
        }
    }

    var events: [Event]?
    var metrics: [Metric]?
}

/// Left-aligned columns separated by two spaces; the last column is not padded.
enum TextTable {
    static func render(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
