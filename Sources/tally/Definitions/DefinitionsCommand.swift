import ArgumentParser
import InternalEvents

/// `tally definitions …`: GitLab-format event and metric definitions.
struct DefinitionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "definitions",
        abstract: "Validate, list and create event and metric definitions (GitLab's YAML formats).",
        subcommands: [ValidateDefinitionsCommand.self, ListDefinitionsCommand.self, NewDefinitionCommand.self]
    )
}

/// `tally definitions validate`.
struct ValidateDefinitionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check every definition file; print each problem as FILE:LINE: field: message.",
        discussion: "Exits 0 when there is no error (warnings go to standard error too), 1 otherwise."
    )

    @OptionGroup var definitions: DefinitionsOptions

    func run() async throws {
        let catalog = try definitions.loadOrExit()
        for warning in catalog.warnings { StandardError.print(warning.description) }
        let internalCount = catalog.events.count
        let total = internalCount + catalog.legacyEvents.count
        let files = Set(catalog.metrics.map(\.source.file)).count
        print(
            "ok: \(total) events (\(internalCount) internal), \(files) metric files → \(catalog.metrics.count) metrics, 0 errors, \(catalog.warnings.count) warnings"
        )
    }
}
