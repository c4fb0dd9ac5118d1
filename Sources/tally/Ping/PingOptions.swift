import ArgumentParser
import Foundation
import Hiredis
import InternalEvents
import Logging
import ServicePing

/// What `tally ping` and `tally worker` share: where the counters, definitions and database are, which metrics to
/// report, and the collector.
struct PingOptions: ParsableArguments {
    @OptionGroup var redis: RedisOptions
    @OptionGroup var definitions: DefinitionsOptions
    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Leave out metrics of data_category optional.")
    var withoutOptional = false

    @Option(help: "Collector base URL for submission (default: $TALLY_COLLECTOR_URL).")
    var collectorURL: String?

    var resolvedCollectorURL: String? {
        collectorURL ?? ProcessInfo.processInfo.environment["TALLY_COLLECTOR_URL"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (try? ConfigFile.settings())??.collectorURL
    }

    /// Whether optional metrics are reported: `--without-optional`, else the config file, else yes.
    var includesOptionalMetrics: Bool {
        if withoutOptional { return false }
        return (try? ConfigFile.settings())??.includeOptionalMetrics ?? true
    }

    /// Everything a ping needs; `redis` must be closed by the caller.
    struct Setup {
        var builder: ServicePingBuilder
        var redis: any RedisClient
        var system: SystemInfo
        var database: DatabaseConfiguration
    }

    /// Loads the definitions, connects to Redis, reads (or creates) the instance uuid; `command` names the caller in
    /// error messages.
    func setup(command: String, logger: Logger) async throws -> Setup {
        let catalog = try definitions.loadOrExit()
        let databaseConfiguration = try database.configuration()
        let client = try redis.client(maximumConnections: 2)
        let uuid: String
        do {
            uuid = try await InstanceIdentity.uuid(redis: client, prefix: redis.resolvedKeyPrefix)
        } catch {
            client.close()
            StandardError.print("tally \(command): can't read the instance uuid from Redis: \(error)")
            throw ExitCode.failure
        }
        let builder = ServicePingBuilder(
            catalog: catalog, redis: client, database: databaseConfiguration, scheme: try redis.scheme(for: catalog),
            settings: .init(includesOptionalMetrics: includesOptionalMetrics), logger: logger)
        return Setup(builder: builder, redis: client, system: SystemInfo(uuid: uuid), database: databaseConfiguration)
    }
}
