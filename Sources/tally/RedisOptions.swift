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

    /// GitLab's key scheme under the prefix in force, with the catalog's legacy aliases.
    func scheme(for catalog: DefinitionCatalog) -> CounterKeyScheme {
        CounterKeyScheme(prefix: resolvedKeyPrefix, aliases: catalog.legacyAliases)
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

    /// The parsed configuration, or a validation error naming the source of the bad URL.
    func configuration() throws -> RedisConfiguration {
        _ = try ConfigFile.settings()
        let (url, source) = resolvedURL
        do {
            return try RedisConfiguration(url: url)
        } catch {
            throw ValidationError("\(source): \(error.message)")
        }
    }
}
