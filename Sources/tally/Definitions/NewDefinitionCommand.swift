import ArgumentParser
import Foundation
import InternalEvents

/// `tally definitions new event|metric`: writes a valid definition file from flags, like GitLab's generator.
struct NewDefinitionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Write a new event or metric definition file from flags.",
        subcommands: [NewEventCommand.self, NewMetricCommand.self]
    )
}

/// Flags both kinds of definition share.
struct NewDefinitionOptions: ParsableArguments {
    @Option(help: "Definition folder to write into.")
    var folder = "definitions"

    @Option(help: "What it counts, in one sentence.")
    var description: String

    @Option(help: "Owning product group.")
    var productGroup = "unassigned"

    @Option(help: "Milestone (version) it was introduced in, like 1.4.")
    var milestone = "0.1"

    @Option(help: "URL of the change that introduced it.")
    var introducedByURL = "https://example.com/changes/1"

    @Option(help: "Comma-separated tiers.")
    var tiers = "free,premium,ultimate"

    @Flag(help: "Overwrite an existing file.")
    var force = false

    func validate() throws {
        for tier in tiers.split(separator: ",") where Tier(rawValue: String(tier)) == nil {
            throw ValidationError("--tiers: \"\(tier)\" is not one of free, premium, ultimate")
        }
    }

    var tierList: String { "[" + tiers.split(separator: ",").joined(separator: ", ") + "]" }

    /// Writes the file, loads the folder, and removes the file again if it brought an error.
    func write(_ text: String, to relativePath: String) throws {
        let url = URL(fileURLWithPath: folder).appendingPathComponent(relativePath)
        if FileManager.default.fileExists(atPath: url.path) && !force {
            throw ValidationError("\(url.path) exists; pass --force to overwrite it")
        }
        let directory = url.deletingLastPathComponent()
        let directoryExisted = FileManager.default.fileExists(atPath: directory.path)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        do {
            _ = try DefinitionLoader().load(from: [URL(fileURLWithPath: folder)])
        } catch {
            let own = error.errors.filter {
                URL(fileURLWithPath: $0.file).standardizedFileURL == url.standardizedFileURL
            }
            if !own.isEmpty {
                try? FileManager.default.removeItem(at: url)
                if !directoryExisted { try? FileManager.default.removeItem(at: directory) }
                StandardError.print(own.map(\.description).joined(separator: "\n"))
                throw ExitCode.failure
            }
            StandardError.print("note: the folder has other problems; run tally definitions validate \(folder)")
        }
        print("wrote \(url.path)")
    }

    /// A YAML double-quoted scalar (JSON string syntax is valid YAML).
    static func quoted(_ text: String) -> String {
        let data = try? JSONEncoder().encode(text)
        return data.map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
    }
}

/// `tally definitions new event NAME`.
struct NewEventCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "event", abstract: "Write events/NAME.yml.")

    @Argument(help: "The event name (action): lowercase letters, digits and _.")
    var name: String

    @OptionGroup var common: NewDefinitionOptions

    @Option(help: "Comma-separated identifiers: user, project, namespace.")
    var identifiers = "user"

    @Option(name: .customLong("property"), help: "A declared additional property, NAME=description (repeatable).")
    var properties: [String] = []

    func validate() throws {
        if let problem = DefinitionChecks.action(name) { throw ValidationError("NAME: \(problem)") }
        for identifier in identifiers.split(separator: ",") where EventIdentifier(rawValue: String(identifier)) == nil {
            throw ValidationError(
                "--identifiers: \"\(identifier)\" is not one of user, project, namespace, feature_enabled_by_namespace_ids"
            )
        }
        for property in properties where !property.contains("=") {
            throw ValidationError("--property: expected NAME=description, found \"\(property)\"")
        }
    }

    func run() async throws {
        var text = """
            ---
            description: \(NewDefinitionOptions.quoted(common.description))
            internal_events: true
            action: \(name)
            identifiers: [\(identifiers.split(separator: ",").joined(separator: ", "))]

            """
        if !properties.isEmpty {
            text += "additional_properties:\n"
            for property in properties {
                let parts = property.split(separator: "=", maxSplits: 1).map(String.init)
                text += "  \(parts[0]):\n    description: \(NewDefinitionOptions.quoted(parts[1]))\n"
            }
        }
        text += """
            product_group: \(common.productGroup)
            milestone: '\(common.milestone)'
            introduced_by_url: \(common.introducedByURL)
            tiers: \(common.tierList)

            """
        try common.write(text, to: "events/\(name).yml")
    }
}

/// `tally definitions new metric`.
struct NewMetricCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metric", abstract: "Write metrics/counts_<frame>/<timestamp>_<name>.yml for internal events.")

    @Option(help: "Dotted key path in the payload, like counts.count_total_create_note.")
    var keyPath: String

    @OptionGroup var common: NewDefinitionOptions

    @Option(name: .customLong("event"), help: "An event the metric counts (repeatable).")
    var events: [String]

    @Option(help: "Count distinct values: user.id, project.id, namespace.id, label, property or value.")
    var unique: String?

    @Option(name: .customLong("filter"), help: "Only events with this additional property, KEY=VALUE (repeatable).")
    var filters: [String] = []

    @Flag(help: "Sum the events' value property instead of counting.")
    var sum = false

    @Option(help: "Comma-separated time frames: 7d, 28d, all (a list expands into one metric each).")
    var timeFrame = "28d,7d"

    @Option(help: "Data category: operational, optional, subscription or standard.")
    var dataCategory = "optional"

    func validate() throws {
        if let unique, UniqueIdentifier(rawValue: unique) == nil {
            throw ValidationError(
                "--unique: \"\(unique)\" is not user.id, project.id, namespace.id or an additional property's name (label, property, value or a custom one)"
            )
        }
        if unique != nil && sum { throw ValidationError("--unique and --sum can't be combined") }
        for frame in timeFrame.split(separator: ",") where TimeFrame(rawValue: String(frame)) == nil {
            throw ValidationError("--time-frame: \"\(frame)\" is not one of 7d, 28d, all, none")
        }
        if DataCategory(rawValue: dataCategory) == nil {
            throw ValidationError(
                "--data-category: \"\(dataCategory)\" is not one of operational, optional, subscription, standard")
        }
        for filter in filters where !filter.contains("=") {
            throw ValidationError("--filter: expected KEY=VALUE, found \"\(filter)\"")
        }
    }

    func run() async throws {
        let frames = timeFrame.split(separator: ",").map(String.init)
        let frameText = frames.count == 1 ? frames[0] : "[\(frames.joined(separator: ", "))]"
        var text = """
            ---
            key_path: \(keyPath)
            description: \(NewDefinitionOptions.quoted(common.description))
            product_group: \(common.productGroup)
            value_type: number
            status: active
            milestone: '\(common.milestone)'
            introduced_by_url: \(common.introducedByURL)
            time_frame: \(frameText)
            data_source: internal_events
            data_category: \(dataCategory)
            events:

            """
        for event in events {
            text += "  - name: \(event)\n"
            if let unique { text += "    unique: \(unique)\n" }
            if sum { text += "    operator: sum(value)\n" }
            if !filters.isEmpty {
                text += "    filter:\n"
                for filter in filters {
                    let parts = filter.split(separator: "=", maxSplits: 1).map(String.init)
                    let value = parts.count > 1 ? parts[1] : ""
                    let isNumber = Double(value) != nil && parts[0] != "label" && parts[0] != "property"
                    text += "      \(parts[0]): \(isNumber ? value : NewDefinitionOptions.quoted(value))\n"
                }
            }
        }
        text += "tiers: \(common.tierList)\n"
        let folder = frames.count == 1 ? "counts_\(frames[0])" : "counts_all"
        let stamp = Self.timestamp()
        let name = keyPath.split(separator: ".").last.map(String.init) ?? keyPath
        try common.write(text, to: "metrics/\(folder)/\(stamp)_\(name).yml")
    }

    /// GitLab's file name prefix: UTC `yyyyMMddHHmmss`.
    static func timestamp() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMddHHmmss"
        return formatter.string(from: Date())
    }
}
