/// Which Redis Tally talks to: one server, a Redis Cluster, or a master behind Sentinel; read from one URL, so every part of Tally and the CLI
/// take the same settings.
///
/// A plain value (`Sendable`); `makeClient(pool:)` builds the client, which owns its connections.
public enum RedisDeployment: Sendable, Hashable {
    /// One server (`redis://…`, `unix://…`).
    case server(RedisConfiguration)
    /// A Redis Cluster (`redis+cluster://…`), found through its seed nodes.
    case cluster(RedisClusterConfiguration)
    /// A master watched by Sentinel (`redis+sentinel://…`), found through the sentinels.
    case sentinel(RedisSentinelConfiguration)

    /// Reads `redis://[[user]:password@]host[:port][/db]`, `unix:///path/redis.sock[?db=N]` or
    /// `redis+cluster://[[user]:password@]host[:port][,host[:port]…]` or
    /// `redis+sentinel://[[user]:password@]host[:port][,host[:port]…]/master-name[/db]`.
    /// - Throws: `.invalidConfiguration` naming what is wrong in the URL (never showing its password).
    public init(url: String) throws(RedisError) {
        let lowercased = url.lowercased()
        if lowercased.hasPrefix(RedisClusterConfiguration.urlScheme + "://") {
            self = .cluster(try RedisClusterConfiguration(url: url))
        } else if lowercased.hasPrefix(RedisSentinelConfiguration.urlScheme + "://") {
            self = .sentinel(try RedisSentinelConfiguration(url: url))
        } else {
            self = .server(try RedisConfiguration(url: url))
        }
    }

    /// The URL with its password replaced by `***`: safe for logs and `tally doctor`.
    public var redactedURL: String {
        switch self {
        case .server(let configuration): configuration.redactedURL
        case .cluster(let configuration): configuration.redactedURL
        case .sentinel(let configuration): configuration.redactedURL
        }
    }

    /// Builds the client: a `RedisConnectionPool` of the server, a `RedisClusterClient` with one such pool per
    /// node, or a `RedisSentinelClient` with one for the master in use. It connects to nothing until its first call and starts no thread or task; `close()` it when done.
    public func makeClient(pool: RedisConnectionPool.Configuration = .init()) -> any RedisClient {
        switch self {
        case .server(let configuration):
            return RedisConnectionPool(redis: configuration, configuration: pool)
        case .cluster(var configuration):
            configuration.pool = pool
            return RedisClusterClient(configuration: configuration)
        case .sentinel(var configuration):
            configuration.pool = pool
            return RedisSentinelClient(configuration: configuration)
        }
    }
}
