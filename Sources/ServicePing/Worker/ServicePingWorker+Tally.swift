import Hiredis
import InternalEvents
import Logging

extension ServicePingWorker {
    /// The weekly worker of an app that set Tally up with `Tally(configuration:)`: the same definitions, Redis
    /// client and key prefix, the database of `configuration.databaseURL`, and submission to `configuration.collectorURL`
    /// when `configuration.submitsServicePing` is on. Add it to the app's `ServiceGroup` beside `tally.services`.
    ///
    /// Reads (or creates) the instance uuid in Redis, so it needs Redis reachable.
    /// - Parameters:
    ///   - registry: the app's own instrumentations, by GitLab class name.
    ///   - settings: schedule, lease and retry settings; generation and submission come from the configuration.
    /// - Throws: `DatabaseConfiguration.InvalidURL` for a database URL that can't be used, `RedisError` when the
    ///   uuid can't be read.
    public convenience init(
        tally: Tally, registry: InstrumentationRegistry = .init(), settings: Configuration = .init(),
        logger: Logger = Logger(label: "tally.worker")
    ) async throws {
        let configuration = tally.configuration
        let database = try DatabaseConfiguration(url: configuration.databaseURL)
        let uuid = try await InstanceIdentity.uuid(redis: tally.redis, prefix: configuration.keyPrefix)
        var settings = settings
        settings.collectorURL = settings.collectorURL ?? configuration.collectorURL
        settings.submissionEnabled = settings.submissionEnabled || configuration.submitsServicePing
        let builder = ServicePingBuilder(
            catalog: tally.catalog, redis: tally.redis, database: database, scheme: tally.scheme, registry: registry,
            logger: logger)
        self.init(
            builder: builder, database: database, system: SystemInfo(uuid: uuid), configuration: settings,
            logger: logger)
    }
}
