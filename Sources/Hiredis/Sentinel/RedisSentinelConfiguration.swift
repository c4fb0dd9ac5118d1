/// Where a Redis master watched by Sentinel is found, and how its client behaves: the sentinels, the master's name,
/// credentials, timeouts, the master's pool, and the backoff while no master can be found.
///
/// A plain value (`Sendable`); `RedisSentinelClient` takes it.
public struct RedisSentinelConfiguration: Sendable, Hashable {
    /// The sentinels, asked in order until one names the master (host and port of each).
    public var sentinels: [RedisClusterAddress]
    /// The name the sentinels monitor the master under (`sentinel monitor <name> …`).
    public var masterName: String
    /// ACL user name for `AUTH` on the master (and its successors); `nil` authenticates as `default`.
    public var username: String?
    /// Password for `AUTH` on the master; `nil` sends no `AUTH`.
    public var password: String?
    /// Password for `AUTH` on the sentinels, when they require one (`requirepass` in their config).
    public var sentinelPassword: String?
    /// Database index on the master.
    public var database: Int
    /// Longest wait for one connection (to a sentinel or the master) to be established.
    public var connectTimeout: Duration
    /// Longest time one call may take in total; see `RedisConfiguration.commandTimeout`.
    public var commandTimeout: Duration
    /// Limits of the master's pool (a new one for each master found).
    public var pool: RedisConnectionPool.Configuration
    /// Waits while no sentinel names a master that says it is one (a failover in progress), or the master refuses
    /// connections.
    public var backoff: RedisClusterConfiguration.Backoff

    public init(
        sentinels: [RedisClusterAddress], masterName: String, username: String? = nil, password: String? = nil,
        sentinelPassword: String? = nil, database: Int = 0, connectTimeout: Duration = .seconds(2),
        commandTimeout: Duration = .seconds(2), pool: RedisConnectionPool.Configuration = .init(),
        backoff: RedisClusterConfiguration.Backoff = .init(
            maximumRetries: 12, initialDelay: .milliseconds(20), maximumDelay: .seconds(1))
    ) {
        precondition(!sentinels.isEmpty, "a sentinel configuration needs at least one sentinel")
        self.sentinels = sentinels
        self.masterName = masterName
        self.username = username
        self.password = password
        self.sentinelPassword = sentinelPassword
        self.database = database
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.pool = pool
        self.backoff = backoff
    }

    /// The settings of the master's connections, once it is found at `address`.
    public func masterConfiguration(_ address: RedisClusterAddress) -> RedisConfiguration {
        RedisConfiguration(
            endpoint: .tcp(host: address.host, port: address.port), username: username, password: password,
            database: database, connectTimeout: connectTimeout, commandTimeout: commandTimeout)
    }

    /// The settings of a sentinel's connection.
    public func sentinelConfiguration(_ address: RedisClusterAddress) -> RedisConfiguration {
        RedisConfiguration(
            endpoint: .tcp(host: address.host, port: address.port), password: sentinelPassword,
            connectTimeout: connectTimeout, commandTimeout: commandTimeout)
    }
}
