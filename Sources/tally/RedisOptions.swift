import ArgumentParser
import Foundation
import Hiredis
import InternalEvents

/// The Redis server a command talks to: `--redis-url`, else `TALLY_REDIS_URL`, else the default; and the key
/// prefix the app's counters live under: `--key-prefix`, else `TALLY_KEY_PREFIX`, else none.
struct RedisOptions: ParsableArguments {
    static let defaultURL = RedisConfiguration.defaultURL

    @Option(name: .customLong("redis-url"), help: "Redis URL (default: $TALLY_REDIS_URL, else \(defaultURL)).")
    var redisURL: String?

    @Option(help: "Prefix of every Redis key, as the app's TALLY_KEY_PREFIX (default: $TALLY_KEY_PREFIX, else none).")
    var keyPrefix: String?

    /// The key prefix in force: the flag, the environment, the config file's `key_prefix`, or none.
    var resolvedKeyPrefix: String {
        if let keyPrefix { return keyPrefix }
        if let fromEnvironment = ProcessInfo.processInfo.environment["TALLY_KEY_PREFIX"] { return fromEnvironment }
        return (try? ConfigFile.settings())??.keyPrefix ?? ""
    }

    @Option(
        help:
            "Key layout the app writes with: gitlab (GitLab's names, default) or spread (a cluster slot per rule; default: $TALLY_KEY_LAYOUT)."
    )
    var keyLayout: String?

    /// The layout in force: the flag, the environment, or GitLab's.
    func resolvedKeyLayout() throws -> CounterKeyScheme.Layout {
        let (text, source) =
            keyLayout.map { ($0, "--key-layout") }
            ?? ProcessInfo.processInfo.environment["TALLY_KEY_LAYOUT"].flatMap {
                $0.isEmpty ? nil : ($0, "TALLY_KEY_LAYOUT")
            }
            ?? ("gitlab", "default")
        guard let layout = CounterKeyScheme.Layout(rawValue: text) else {
            throw ValidationError("\(source): expected gitlab or spread, found \(text)")
        }
        return layout
    }

    /// GitLab's key scheme under the prefix and layout in force, with the catalog's legacy aliases.
    func scheme(for catalog: DefinitionCatalog) throws -> CounterKeyScheme {
        CounterKeyScheme(prefix: resolvedKeyPrefix, aliases: catalog.legacyAliases, layout: try resolvedKeyLayout())
    }

    /// The URL in force and where it came from.
    var resolvedURL: (url: String, source: String) {
        if let redisURL { return (redisURL, "--redis-url") }
        if let fromEnvironment = ProcessInfo.processInfo.environment["TALLY_REDIS_URL"], !fromEnvironment.isEmpty {
            return (fromEnvironment, "TALLY_REDIS_URL")
        }
        if let fromFile = (try? ConfigFile.settings())??.redisURL { return (fromFile, ConfigFile.source) }
        return (Self.defaultURL, "default")
    }

    /// The parsed deployment (one server or a cluster), or a validation error naming the source of the bad URL.
    func deployment() throws -> RedisDeployment {
        _ = try ConfigFile.settings()
        let (url, source) = resolvedURL
        do {
            return try RedisDeployment(url: url)
        } catch {
            throw ValidationError("\(source): \(error.message)")
        }
    }

    /// A client of the deployment in force, with at most `maximumConnections` connections (per node on a cluster);
    /// the caller closes it.
    func client(maximumConnections: Int, waitTimeout: Duration = .seconds(5)) throws -> any RedisClient {
        try deployment().makeClient(pool: .init(maximumConnections: maximumConnections, waitTimeout: waitTimeout))
    }

    /// The one server in force, for commands that measure one server (the benchmarks); a cluster URL is refused
    /// with why.
    func configuration() throws -> RedisConfiguration {
        switch try deployment() {
        case .server(let configuration):
            return configuration
        case .cluster, .sentinel:
            throw ValidationError(
                "\(resolvedURL.source): this command works with one Redis server; give a redis:// or unix:// URL")
        }
    }
}
