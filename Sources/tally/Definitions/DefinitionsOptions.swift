import ArgumentParser
import Foundation
import InternalEvents

/// The definition folders a command reads: arguments, else `TALLY_DEFINITIONS` (colon-separated), else `definitions`.
struct DefinitionsOptions: ParsableArguments {
    @Argument(
        help: "Definition folders, each with events/ and/or metrics/ (default: $TALLY_DEFINITIONS, else ./definitions)."
    )
    var folders: [String] = []

    @Flag(help: "Treat unknown fields as errors.")
    var strict = false

    @Option(
        help:
            "Folder holding GitLab's total_counter_redis_key_overrides.yml, hll_redis_key_overrides.yml and hll_redis_legacy_events.yml."
    )
    var legacyAliases: String?

    @Option(help: "Comma-separated product groups to accept (default: any).")
    var productGroups: String?

    @Option(help: "Comma-separated product categories to accept (default: any).")
    var productCategories: String?

    @Flag(help: "Metrics may name events no folder defines (a warning, not an error). Always on for GitLab's config/.")
    var allowUndefinedEvents = false

    @Flag(help: "Print every warning on its own line instead of grouping alike ones.")
    var verbose = false

    @Flag(
        help:
            "Parse every file even if the validated catalog is cached (cache: $TALLY_CACHE_DIR, else ~/.cache/tally; TALLY_DEFINITIONS_CACHE=off disables it)."
    )
    var noCache = false

    var resolvedFolders: [String] {
        if !folders.isEmpty { return folders }
        if let fromEnvironment = ProcessInfo.processInfo.environment["TALLY_DEFINITIONS"], !fromEnvironment.isEmpty {
            return fromEnvironment.split(separator: ":").map(String.init)
        }
        if let fromFile = (try? ConfigFile.settings())??.definitions, !fromFile.isEmpty { return fromFile }
        return ["definitions"]
    }

    private static func list(_ text: String) -> Set<String> {
        Set(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
    }

    var loader: DefinitionLoader {
        DefinitionLoader(
            options: .init(
                strict: strict, productGroups: productGroups.map(Self.list),
                productCategories: productCategories.map(Self.list),
                legacyAliasesDirectory: legacyAliases.map { URL(fileURLWithPath: $0) },
                allowsUndefinedEvents: allowUndefinedEvents))
    }

    /// Loads the catalog; on failure prints every diagnostic to standard error and exits 1.
    func loadOrExit() throws -> DefinitionCatalog {
        _ = try ConfigFile.settings()
        do {
            let folders = resolvedFolders.map { URL(fileURLWithPath: $0) }
            return try loader.load(from: folders, cache: noCache ? nil : DefinitionCache.standard())
        } catch {
            let report = DiagnosticReport(diagnostics: error.diagnostics, verbose: verbose)
            for line in report.lines { StandardError.print(line) }
            StandardError.print("\(report.errors.count) error(s) in definitions, \(report.warningSummary)")
            throw ExitCode.failure
        }
    }
}

/// Writes lines to standard error.
enum StandardError {
    static func print(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
