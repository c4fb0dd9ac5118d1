import Foundation

/// Where a ClickHouse warehouse is: its HTTP interface, the user, and the database Tally's tables live in; for a
/// sharded warehouse, every shard's server and the cluster name its `remote_servers` configuration gives them.
///
/// `clickhouse://user:password@host:8123/database` for one server; the port defaults to 8123 (ClickHouse's HTTP
/// port), the user to `default`, the database to `tally` (created by `migrate` if missing).
///
/// `clickhouse://user:password@host1:8123,host2:8123/database?cluster=NAME` for shards: one server per shard,
/// each with `NAME` in its `remote_servers`. Tally creates its tables on every listed server (ClickHouse 18.16
/// runs `ON CLUSTER` statements only with ZooKeeper) and reads and writes through the first.
public struct ClickHouseConfiguration: Sendable, Equatable {
    /// One server's HTTP interface.
    public struct Node: Sendable, Equatable, CustomStringConvertible {
        public var host: String
        public var port: Int

        public init(host: String, port: Int = 8123) {
            self.host = host
            self.port = port
        }

        public var description: String { "\(host.contains(":") ? "[\(host)]" : host):\(port)" }
    }

    /// The servers: one, or one per shard. Statements go to the first.
    public var nodes: [Node]
    public var user: String
    public var password: String
    public var database: String
    /// The `remote_servers` cluster the shards form (`nil`: one server, no `Distributed` tables).
    public var cluster: String?

    /// The server statements go to.
    public var host: String { nodes[0].host }
    public var port: Int { nodes[0].port }

    /// The URL with any password replaced by `***`.
    public var redactedURL: String {
        let credentials = password.isEmpty ? user : "\(user):***"
        let hosts = nodes.map(\.description).joined(separator: ",")
        return "clickhouse://\(credentials)@\(hosts)/\(database)" + (cluster.map { "?cluster=\($0)" } ?? "")
    }

    /// The HTTP endpoint statements are posted to, on `node` (default: the first).
    func endpoint(_ node: Int = 0) -> String { "http://\(nodes[node].description)/" }

    public init(
        host: String, port: Int = 8123, user: String = "default", password: String = "", database: String = "tally"
    ) {
        self.init(nodes: [Node(host: host, port: port)], user: user, password: password, database: database)
    }

    /// - Precondition: `nodes` is not empty.
    public init(
        nodes: [Node], user: String = "default", password: String = "", database: String = "tally",
        cluster: String? = nil
    ) {
        precondition(!nodes.isEmpty, "a ClickHouse warehouse needs a server")
        self.nodes = nodes
        self.user = user
        self.password = password
        self.database = database
        self.cluster = cluster
    }

    /// Reads a `clickhouse://` URL; the error names what is wrong with it.
    public init(url: String) throws(InvalidURL) {
        let usage = "expected clickhouse://user:password@host:8123/database (or host1:8123,host2:8123/…?cluster=NAME)"
        guard url.hasPrefix("clickhouse://") else { throw InvalidURL(description: usage) }
        // URLComponents reads one host, so the host list is read here and each host through URLComponents.
        let rest = url.dropFirst("clickhouse://".count)
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let credentials = authority.lastIndex(of: "@").map { authority[..<$0] }
        let hostList = authority.lastIndex(of: "@").map { authority[authority.index(after: $0)...] } ?? authority
        var nodes: [Node] = []
        for hostText in hostList.split(separator: ",", omittingEmptySubsequences: false) {
            guard let components = URLComponents(string: "clickhouse://\(hostText)"), let host = components.host,
                !host.isEmpty, components.user == nil
            else {
                throw InvalidURL(description: hostList.isEmpty ? usage : "host \"\(hostText)\": \(usage)")
            }
            // Foundation keeps an IPv6 address's brackets in `host` on some platforms.
            let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
            nodes.append(Node(host: bare, port: components.port ?? 8123))
        }
        guard !nodes.isEmpty else { throw InvalidURL(description: usage) }
        var user = "default"
        var password = ""
        if let credentials {
            let parts = credentials.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            user = String(parts[0]).removingPercentEncoding ?? String(parts[0])
            if parts.count > 1 { password = String(parts[1]).removingPercentEncoding ?? String(parts[1]) }
            if user.isEmpty { user = "default" }
        }
        guard let tail = URLComponents(string: "clickhouse://h" + rest[authorityEnd...]) else {
            throw InvalidURL(description: usage)
        }
        let name = String(tail.path.drop { $0 == "/" })
        guard name.isEmpty || Self.isPlainName(name) else {
            throw InvalidURL(description: "database name \"\(name)\": use letters, digits and _ only")
        }
        var cluster: String?
        for item in tail.queryItems ?? [] {
            guard item.name == "cluster" else {
                throw InvalidURL(description: "unknown parameter \"\(item.name)\" (known: cluster)")
            }
            guard let value = item.value, Self.isPlainName(value) else {
                throw InvalidURL(description: "cluster name \"\(item.value ?? "")\": use letters, digits and _ only")
            }
            cluster = value
        }
        if nodes.count > 1 && cluster == nil {
            throw InvalidURL(description: "\(nodes.count) servers need ?cluster=NAME, their remote_servers cluster")
        }
        self.init(
            nodes: nodes, user: user, password: password, database: name.isEmpty ? "tally" : name, cluster: cluster)
    }

    /// Names Tally writes into SQL unquoted (the database's, the cluster's).
    static func isPlainName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy {
            $0 == "_" || ("a"..."z").contains($0) || ("A"..."Z").contains($0)
                || ("0"..."9").contains($0)
        }
    }

    /// A problem with a `clickhouse://` URL.
    public struct InvalidURL: Error, CustomStringConvertible {
        public var description: String
    }
}
