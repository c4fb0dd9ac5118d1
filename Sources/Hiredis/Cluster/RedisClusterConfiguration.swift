/// Where a Redis Cluster is and how its client behaves: seed nodes, credentials, timeouts, a pool per node, and the
/// limits of redirects and retries.
///
/// A plain value (`Sendable`); `RedisClusterClient` takes it.
public struct RedisClusterConfiguration: Sendable, Hashable {
    /// Nodes asked for the slot map, in order, until one answers; any master or replica will do, and the client
    /// learns the others from it.
    public var seeds: [RedisClusterAddress]
    /// ACL user name for `AUTH` on every node; `nil` authenticates as `default` when a password is given.
    public var username: String?
    /// Password for `AUTH` on every node; `nil` sends no `AUTH`.
    public var password: String?
    /// Longest wait for one node's connection to be established.
    public var connectTimeout: Duration
    /// Longest time one call to one node may take in total; see `RedisConfiguration.commandTimeout`. A command that
    /// is redirected or retried takes one such call per node asked.
    public var commandTimeout: Duration
    /// Limits of each node's pool (each node gets its own, when first used).
    public var pool: RedisConnectionPool.Configuration
    /// Most `-MOVED`/`-ASK` redirects followed for one command (or one pipeline's commands, or one transaction)
    /// before `.tooManyRedirects`.
    public var maximumRedirects: Int
    /// Waits before retrying after `-TRYAGAIN`, `-CLUSTERDOWN`, a slot no master serves, or a node that refuses
    /// connections.
    public var backoff: Backoff
    /// The slot map is read again at most this often (after `-MOVED` or a node that can't be reached), so a
    /// resharding doesn't make every command read it.
    public var minimumRefreshInterval: Duration

    /// Bounded exponential backoff: `initialDelay`, doubled per retry up to `maximumDelay`, at most
    /// `maximumRetries` times; then the last answer (or error) is the caller's.
    public struct Backoff: Sendable, Hashable {
        public var maximumRetries: Int
        public var initialDelay: Duration
        public var maximumDelay: Duration

        public init(
            maximumRetries: Int = 8, initialDelay: Duration = .milliseconds(10), maximumDelay: Duration = .seconds(1)
        ) {
            self.maximumRetries = maximumRetries
            self.initialDelay = initialDelay
            self.maximumDelay = maximumDelay
        }

        /// The wait before retry number `retry` (0 for the first).
        public func delay(beforeRetry retry: Int) -> Duration {
            var delay = initialDelay
            for _ in 0..<min(retry, 30) where delay < maximumDelay { delay *= 2 }
            return min(delay, maximumDelay)
        }
    }

    public init(
        seeds: [RedisClusterAddress],
        username: String? = nil,
        password: String? = nil,
        connectTimeout: Duration = .seconds(2),
        commandTimeout: Duration = .seconds(2),
        pool: RedisConnectionPool.Configuration = .init(),
        maximumRedirects: Int = 5,
        backoff: Backoff = .init(),
        minimumRefreshInterval: Duration = .milliseconds(100)
    ) {
        precondition(!seeds.isEmpty, "a cluster configuration needs at least one seed node")
        self.seeds = seeds
        self.username = username
        self.password = password
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.pool = pool
        self.maximumRedirects = maximumRedirects
        self.backoff = backoff
        self.minimumRefreshInterval = minimumRefreshInterval
    }

    /// The settings of one node's connections.
    public func nodeConfiguration(_ address: RedisClusterAddress) -> RedisConfiguration {
        RedisConfiguration(
            endpoint: .tcp(host: address.host, port: address.port), username: username, password: password,
            connectTimeout: connectTimeout, commandTimeout: commandTimeout)
    }
}
