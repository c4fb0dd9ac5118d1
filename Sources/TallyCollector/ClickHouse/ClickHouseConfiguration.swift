import Foundation

/// Where a ClickHouse warehouse is: its HTTP interface, the user, and the database Tally's tables live in.
///
/// `clickhouse://user:password@host:8123/database`; the port defaults to 8123 (ClickHouse's HTTP port), the user
/// to `default`, the database to `tally` (created by `migrate` if missing).
public struct ClickHouseConfiguration: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String
    public var database: String

    /// The URL with any password replaced by `***`.
    public var redactedURL: String {
        let credentials = password.isEmpty ? user : "\(user):***"
        return "clickhouse://\(credentials)@\(host):\(port)/\(database)"
    }

    /// The HTTP endpoint queries are posted to.
    var endpoint: String { "http://\(host.contains(":") ? "[\(host)]" : host):\(port)/" }

    public init(
        host: String, port: Int = 8123, user: String = "default", password: String = "", database: String = "tally"
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
    }

    /// Reads a `clickhouse://` URL; the error names what is wrong with it.
    public init(url: String) throws(InvalidURL) {
        guard url.hasPrefix("clickhouse://"), let components = URLComponents(string: url),
            let host = components.host, !host.isEmpty
        else {
            throw InvalidURL(description: "expected clickhouse://user:password@host:8123/database")
        }
        let name = String(components.path.drop { $0 == "/" })
        guard name.isEmpty || Self.isPlainName(name) else {
            throw InvalidURL(description: "database name \"\(name)\": use letters, digits and _ only")
        }
        if let item = components.queryItems?.first {
            throw InvalidURL(description: "unknown parameter \"\(item.name)\"")
        }
        self.init(
            host: host, port: components.port ?? 8123, user: components.user ?? "default",
            password: components.password ?? "", database: name.isEmpty ? "tally" : name)
    }

    /// Names Tally writes into SQL unquoted (the database's).
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
