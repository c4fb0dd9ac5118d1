import Foundation

/// Everything an app sets to use Tally, in one value: the same settings as the `tally` command and its
/// `TALLY_*` environment variables. `Tally(configuration:)` turns it into a tracker and the services to run.
///
/// Only the Redis, definitions, key-prefix and counting settings are read by this module; the Service Ping and
/// event-record settings are kept here so that one value configures everything, and are read by `ServicePing`
/// (`ServicePingWorker(tally:)`) and `EventRecords`.
public struct TallyConfiguration: Sendable, Hashable {
    /// How events reach the Redis counters.
    public enum Counting: Sendable, Hashable {
        /// Added up in memory and flushed every second (the default for servers): `track` costs microseconds.
        case buffered(BufferedRedisCounterSink.Configuration)
        /// One pipeline per event, sent as the event arrives (no aggregation).
        case direct
    }

    /// `redis://[user:password@]host:port[/db]`, `unix:///path/redis.sock[?db=N]`, or a Redis Cluster as
    /// `redis+cluster://host:port,host:port` (`TALLY_REDIS_URL`).
    public var redisURL: String
    /// Folders holding `events/` and `metrics/` (`TALLY_DEFINITIONS`, colon-separated); relative paths are
    /// relative to the working directory.
    public var definitions: [String]
    /// How the definitions are loaded and checked.
    public var definitionOptions: DefinitionLoader.Options
    /// Prepended to every Redis key, for a Redis shared with other apps (`TALLY_KEY_PREFIX`; none by default, so
    /// the keys are GitLab's).
    public var keyPrefix: String
    /// GitLab's key names (the default), or `.spread` to give each rule's keys a cluster slot of their own
    /// (`TALLY_KEY_LAYOUT=gitlab|spread`); the ping must read with the layout the app writes with.
    public var keyLayout: CounterKeyScheme.Layout
    /// Buffered (default) or direct counting (`TALLY_COUNTING=buffered|direct`).
    public var counting: Counting
    /// Most Redis connections open at once, for every part of Tally in the process together.
    public var maximumRedisConnections: Int
    /// The app database that database metrics count in and pings are stored in (`TALLY_DATABASE_URL`; read by
    /// `ServicePing`): `sqlite:///path.sqlite` or `postgres://…`.
    public var databaseURL: String
    /// The Service Ping collector's base URL (`TALLY_COLLECTOR_URL`; read by `ServicePing`).
    public var collectorURL: String?
    /// Whether the worker submits pings to `collectorURL` (`TALLY_SUBMIT=1`). Off: nothing leaves the machine.
    public var submitsServicePing: Bool
    /// A Snowplow collector for event records, SaaS mode (`TALLY_EVENT_RECORDS_URL`; read by `EventRecords`).
    public var eventRecordsURL: String?

    public init(
        redisURL: String = "redis://127.0.0.1:6379", definitions: [String] = ["definitions"],
        definitionOptions: DefinitionLoader.Options = .init(), keyPrefix: String = "",
        keyLayout: CounterKeyScheme.Layout = .gitLab, counting: Counting = .buffered(.init()),
        maximumRedisConnections: Int = 8,
        databaseURL: String = "sqlite://tally.sqlite", collectorURL: String? = nil, submitsServicePing: Bool = false,
        eventRecordsURL: String? = nil
    ) {
        self.redisURL = redisURL
        self.definitions = definitions
        self.definitionOptions = definitionOptions
        self.keyPrefix = keyPrefix
        self.keyLayout = keyLayout
        self.counting = counting
        self.maximumRedisConnections = maximumRedisConnections
        self.databaseURL = databaseURL
        self.collectorURL = collectorURL
        self.submitsServicePing = submitsServicePing
        self.eventRecordsURL = eventRecordsURL
    }
}
