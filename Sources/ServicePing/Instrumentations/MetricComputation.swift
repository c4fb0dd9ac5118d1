import Foundation
import Hiredis
import InternalEvents

/// Why a metric has no value: it is reported as `fallback` (GitLab's -1, or -2 for estimates) with `message` in the
/// ping's metadata.
public struct MetricFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// GitLab's general fallback.
    public static let fallback: Int64 = -1
    /// GitLab's fallback for estimated distinct counts.
    public static let estimateFallback: Int64 = -2

    public var fallback: Int64
    public var message: String

    public init(_ message: String, fallback: Int64 = MetricFailure.fallback) {
        self.message = message
        self.fallback = fallback
    }

    public var description: String { message }
}

/// Redis commands a metric needs, and how its value follows from their replies. The ping sends the commands of
/// every metric in one pipeline.
public struct RedisRead: Sendable {
    public var commands: [RedisCommand]
    public var value: @Sendable ([RedisReply]) throws -> JSONValue

    public init(commands: [RedisCommand], value: @escaping @Sendable ([RedisReply]) throws -> JSONValue) {
        self.commands = commands
        self.value = value
    }
}

/// How one metric's value is obtained.
public enum MetricComputation: Sendable {
    /// Read from Redis, batched with every other metric's reads.
    case redis(RedisRead)
    /// Known without I/O.
    case value(JSONValue)
    /// A row count in the app database, batched like GitLab's (all database metrics share one connection).
    case database(DatabaseMetricSpec)
    /// Computed by code (an app-registered instrumentation); a thrown error becomes the fallback.
    case compute(@Sendable () async throws -> JSONValue)
    /// Can't be computed; reported with the reason.
    case failure(MetricFailure)
}

/// What a metric's instrumentation gets to know about the ping.
public struct PingContext: Sendable {
    /// The ping's time (`recorded_at`).
    public var recordedAt: Date
    /// The ISO week the ping runs in; 7d/28d metrics read the complete weeks before it.
    public var week: ISOWeek
    /// Redis key names (prefix, legacy aliases).
    public var scheme: CounterKeyScheme
    /// The instance's identity and versions.
    public var system: SystemInfo

    public init(recordedAt: Date, scheme: CounterKeyScheme, system: SystemInfo) {
        self.recordedAt = recordedAt
        self.week = ISOWeek(containing: recordedAt)
        self.scheme = scheme
        self.system = system
    }
}

/// The instance's identity, reported by the system metrics.
public struct SystemInfo: Sendable, Hashable {
    /// Generated once per install and kept (see `InstanceIdentity`).
    public var uuid: String
    public var hostname: String
    /// The app's version.
    public var version: String
    /// How the app is installed (`docker`, `package`, `source`, …).
    public var installationType: String
    public var edition: String

    public init(
        uuid: String, hostname: String = ProcessInfo.processInfo.hostName, version: String = TallyVersion.current,
        installationType: String = "tally", edition: String = "CE"
    ) {
        self.uuid = uuid
        self.hostname = hostname
        self.version = version
        self.installationType = installationType
        self.edition = edition
    }
}
