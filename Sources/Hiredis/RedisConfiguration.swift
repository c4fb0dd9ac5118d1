import Foundation

/// Where a Redis server is and how to talk to it.
public struct RedisConfiguration: Sendable, Hashable {
    /// How to reach the server.
    public enum Endpoint: Sendable, Hashable {
        /// A TCP host (name, IPv4 or IPv6 address) and port.
        case tcp(host: String, port: Int)
        /// A Unix domain socket path.
        case unix(path: String)
    }

    /// How to reach the server.
    public var endpoint: Endpoint
    /// ACL user name for `AUTH` (Redis 6+); `nil` authenticates as `default` when a password is given.
    public var username: String?
    /// Password for `AUTH`; `nil` sends no `AUTH`.
    public var password: String?
    /// Database index for `SELECT`; 0 sends no `SELECT`.
    public var database: Int
    /// Longest wait for the TCP or socket connection to be established.
    public var connectTimeout: Duration
    /// Longest time one call may take in total: a `send`, a whole `pipeline` or `transaction`, from the first write
    /// to the last byte of the last reply, however many replies and however slowly the bytes arrive (each blocking
    /// read or write may only wait for what is left). Past it the call throws `.timeout` and the connection is
    /// broken (the pool drops it). Connecting is bounded by `connectTimeout`, and `AUTH` and `SELECT` after it by
    /// this, each on its own.
    public var commandTimeout: Duration

    /// The default server, `redis://127.0.0.1:6379`.
    public static let defaultURL = "redis://127.0.0.1:6379"

    public init(
        endpoint: Endpoint,
        username: String? = nil,
        password: String? = nil,
        database: Int = 0,
        connectTimeout: Duration = .seconds(2),
        commandTimeout: Duration = .seconds(2)
    ) {
        self.endpoint = endpoint
        self.username = username
        self.password = password
        self.database = database
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
    }

    /// Reads a Redis URL.
    ///
    /// Accepted forms: `redis://[[user]:password@]host[:port][/db]` (port 6379 by default; an IPv6 host in
    /// brackets) and `unix:///path/to/redis.sock[?db=N]` (also `?password=` and `?user=`). User and password
    /// may be percent-encoded.
    /// - Throws: `RedisError` `.invalidConfiguration` naming the part of the URL that is wrong.
    public init(url: String) throws(RedisError) {
        func invalid(_ reason: String) -> RedisError {
            RedisError(code: .invalidConfiguration, message: "Redis URL \(Self.redacting(url)): \(reason)")
        }
        if url.lowercased().hasPrefix(RedisClusterConfiguration.urlScheme + "://") {
            throw invalid("a Redis Cluster URL; read it with RedisDeployment(url:) or RedisClusterConfiguration(url:)")
        }
        if url.lowercased().hasPrefix(RedisSentinelConfiguration.urlScheme + "://") {
            throw invalid(
                "a Redis Sentinel URL; read it with RedisDeployment(url:) or RedisSentinelConfiguration(url:)")
        }
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else {
            throw invalid("not a URL; expected redis://host:port/db or unix:///path/redis.sock")
        }
        let query = Dictionary(
            (components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
        switch scheme {
        case "redis":
            guard var host = components.host, !host.isEmpty else { throw invalid("missing host") }
            if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            let port = components.port ?? 6379
            guard (1...65535).contains(port) else { throw invalid("port \(port) is outside 1...65535") }
            let path = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            var database = 0
            if !path.isEmpty {
                guard let index = Int(path), index >= 0 else {
                    throw invalid("database \"\(path)\" is not a non-negative integer")
                }
                database = index
            }
            self.init(endpoint: .tcp(host: host, port: port), database: database)
            username = components.user.flatMap { $0.isEmpty ? nil : $0 }
            password = components.password
        case "unix":
            let path = components.path
            guard path.hasPrefix("/") else {
                throw invalid("a unix socket URL needs an absolute path: unix:///path/redis.sock")
            }
            var database = 0
            if let text = query["db"] {
                guard let index = Int(text), index >= 0 else {
                    throw invalid("db \"\(text)\" is not a non-negative integer")
                }
                database = index
            }
            self.init(endpoint: .unix(path: path), database: database)
            username = query["user"]
            password = query["password"]
        case "rediss":
            throw invalid("TLS (rediss://) is not supported by hiredis 0.14; use a TLS proxy such as stunnel")
        default:
            throw invalid("unknown scheme \"\(scheme)\"; expected redis, unix, redis+cluster or redis+sentinel")
        }
    }

    /// The configuration as a URL with the password replaced by `***`, safe for logs and `tally doctor`.
    public var redactedURL: String {
        var auth = ""
        if password != nil { auth = "\(username ?? ""):***@" } else if let username { auth = "\(username)@" }
        switch endpoint {
        case .tcp(let host, let port):
            let shownHost = host.contains(":") ? "[\(host)]" : host
            return "redis://\(auth)\(shownHost):\(port)" + (database == 0 ? "" : "/\(database)")
        case .unix(let path):
            var query: [String] = []
            if database != 0 { query.append("db=\(database)") }
            if let username { query.append("user=\(username)") }
            if password != nil { query.append("password=***") }
            return "unix://\(path)" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        }
    }

    /// Hides a password in a URL that may not parse.
    static func redacting(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return "(unparsable URL)" }
        if components.password != nil { components.password = "***" }
        if let items = components.queryItems, items.contains(where: { $0.name == "password" }) {
            components.queryItems = items.map {
                $0.name == "password" ? URLQueryItem(name: "password", value: "***") : $0
            }
        }
        return components.string ?? "(unparsable URL)"
    }
}
