import Foundation

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

    /// The URL scheme of a cluster.
    public static let urlScheme = "redis+cluster"

    /// Reads `redis+cluster://[[user]:password@]host[:port][,host[:port]…]`: the seed nodes, comma-separated (port
    /// 6379 by default, an IPv6 host in brackets), and credentials used on every node (percent-encoded if need be).
    /// A path may only be empty, `/` or `/0`: a cluster has database 0 only.
    /// - Throws: `.invalidConfiguration` naming what is wrong (the password never appears in the message).
    public init(url: String) throws(RedisError) {
        let shown = Self.redacting(url)
        func invalid(_ reason: String) -> RedisError {
            RedisError(code: .invalidConfiguration, message: "Redis Cluster URL \(shown): \(reason)")
        }
        guard let schemeEnd = url.range(of: "://") else {
            throw invalid("not a URL; expected redis+cluster://host:port,host:port")
        }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        guard scheme == Self.urlScheme else {
            throw invalid("unknown scheme \"\(scheme)\"; expected redis+cluster")
        }
        var rest = url[schemeEnd.upperBound...]
        if let query = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            throw invalid("\"\(rest[query...].prefix(40))\": a cluster URL takes no query or fragment")
        }
        var path = ""
        if let slash = rest.firstIndex(of: "/") {
            path = String(rest[rest.index(after: slash)...])
            rest = rest[..<slash]
        }
        guard path.isEmpty || path == "0" else {
            throw invalid("database \"\(path)\": a Redis Cluster has database 0 only")
        }
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            let user: Substring
            if let colon = userInfo.firstIndex(of: ":") {
                user = userInfo[..<colon]
                guard let decoded = String(userInfo[userInfo.index(after: colon)...]).removingPercentEncoding else {
                    throw invalid("the password is not valid percent-encoding")
                }
                password = decoded
            } else {
                user = userInfo
            }
            guard let decodedUser = String(user).removingPercentEncoding else {
                throw invalid("the user name is not valid percent-encoding")
            }
            username = decodedUser.isEmpty ? nil : decodedUser
        }
        var seeds: [RedisClusterAddress] = []
        for (index, part) in rest.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            seeds.append(try Self.seed(part, number: index + 1, invalid))
        }
        self.init(seeds: seeds, username: username, password: password)
    }

    /// One `host[:port]` of the list.
    private static func seed(
        _ text: Substring, number: Int, _ invalid: (String) -> RedisError
    ) throws(RedisError) -> RedisClusterAddress {
        var host: Substring
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw invalid("node \(number): \"\(text)\" lacks \"]\"") }
            host = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw invalid("node \(number): \"\(text)\" has text after \"]\"") }
                portText = after.dropFirst()
            }
        } else if let colon = text.firstIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        } else {
            host = text
        }
        guard !host.isEmpty else { throw invalid("node \(number) has no host (expected host:port)") }
        var port = 6379
        if let portText {
            guard let parsed = Int(portText), (1...65535).contains(parsed) else {
                throw invalid("node \(number): port \"\(portText)\" is not a number in 1...65535")
            }
            port = parsed
        }
        return RedisClusterAddress(host: String(host), port: port)
    }

    /// The configuration as a URL, the password replaced by `***`: safe for logs and `tally doctor`.
    public var redactedURL: String {
        var auth = ""
        if password != nil { auth = "\(username ?? ""):***@" } else if let username { auth = "\(username)@" }
        return "\(Self.urlScheme)://\(auth)" + seeds.map(\.description).joined(separator: ",")
    }

    /// Hides the password of a URL that may not parse: whatever lies between the first `:` after `://` and the last
    /// `@` of the authority.
    static func redacting(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url.contains("@") ? "(unparsable URL)" : url }
        let afterScheme = url[schemeEnd.upperBound...]
        let authority = afterScheme.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else {
            return url
        }
        return String(url[..<authority.index(after: colon)]) + "***" + String(url[at...])
    }
}
