import ArgumentParser
import Foundation
import InternalEvents
import ServicePing

/// The app database: `--database-url`, else `TALLY_DATABASE_URL`, else `sqlite://tally.sqlite`.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .customLong("database-url"),
        help:
            "sqlite:///path.sqlite or postgres://user:password@host:port/db (default: $TALLY_DATABASE_URL, else \(DatabaseConfiguration.defaultURL))."
    )
    var databaseURL: String?

    var resolvedURL: (url: String, source: String) {
        if let databaseURL { return (databaseURL, "--database-url") }
        if let fromEnvironment = ProcessInfo.processInfo.environment["TALLY_DATABASE_URL"], !fromEnvironment.isEmpty {
            return (fromEnvironment, "TALLY_DATABASE_URL")
        }
        if let fromFile = (try? ConfigFile.settings())??.databaseURL { return (fromFile, ConfigFile.source) }
        return (DatabaseConfiguration.defaultURL, "default")
    }

    func configuration() throws -> DatabaseConfiguration {
        _ = try ConfigFile.settings()
        let (url, source) = resolvedURL
        do {
            return try DatabaseConfiguration(url: url)
        } catch {
            throw ValidationError("\(source): \(error.description)")
        }
    }
}
