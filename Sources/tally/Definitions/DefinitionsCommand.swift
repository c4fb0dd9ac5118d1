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
        let report = DiagnosticReport(diagnostics: catalog.warnings, verbose: definitions.verbose)
        for line in report.lines { StandardError.print(line) }
        print(Self.summary(of: catalog, warnings: report.warningSummary))
    }

    /// `ok: loaded 891 events (505 internal, 386 legacy) and 2656 metric files (3140 metrics); skipped 21 files in
    /// removed/ folders; GitLab legacy keys: …; 0 errors, 46 warnings (1 kind)`.
    static func summary(of catalog: DefinitionCatalog, warnings: String) -> String {
        let internalCount = catalog.events.count
        let legacyCount = catalog.legacyEvents.count
        let loaded = catalog.summary
        var parts = [
            "loaded \(internalCount + legacyCount) events (\(internalCount) internal, \(legacyCount) legacy) and \(loaded.metricFiles) metric files (\(catalog.metrics.count) metrics after time_frame expansion)"
        ]
        if loaded.skippedRemovedFiles > 0 {
            parts.append("skipped \(loaded.skippedRemovedFiles) files in removed/ folders, as GitLab does")
        }
        let aliases = catalog.legacyAliases
        if !aliases.isEmpty {
            parts.append(
                "GitLab legacy keys: \(aliases.totalCounters.count) total-counter aliases, \(aliases.rulePaths.count) path aliases, \(aliases.uniqueEvents.count) legacy unique events"
            )
        }
        parts.append("0 errors, \(warnings)" + (loaded.fromCache ? " (validated catalog read from the cache)" : ""))
        return "ok: " + parts.joined(separator: "; ")
    }
}
