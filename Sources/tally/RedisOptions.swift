import ArgumentParser
import Foundation
import Hiredis
import InternalEvents

/// The Redis server a command talks to: `--redis-url`, else `TALLY_REDIS_URL`, else the default.
struct RedisOptions: ParsableArguments {
    static let defaultURL = RedisConfiguration.defaultURL

    @Option(name: .customLong("redis-url"), help: "Redis URL (default: $TALLY_REDIS_URL, else \(defaultURL)).")
    var redisURL: String?

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
