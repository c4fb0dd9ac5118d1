import Foundation

extension RedisSentinelConfiguration {
    /// The URL scheme of a master behind Sentinel.
    public static let urlScheme = "redis+sentinel"

    /// Reads `redis+sentinel://[[user]:password@]host[:port][,host[:port]…]/master-name[/db]`: the sentinels,
    /// comma-separated (port 26379 by default, an IPv6 host in brackets), the monitored master's name, and its
    /// database; the credentials are the master's. `?sentinel_password=…` authenticates to the sentinels.
    /// - Throws: `.invalidConfiguration` naming what is wrong (passwords never appear in the message).
    public init(url: String) throws(RedisError) {
        let shown = RedisClusterConfiguration.redacting(url).replacingOccurrences(
            of: #"sentinel_password=[^&#]*"#, with: "sentinel_password=***", options: .regularExpression)
        func invalid(_ reason: String) -> RedisError {
            RedisError(code: .invalidConfiguration, message: "Redis Sentinel URL \(shown): \(reason)")
        }
        guard let schemeEnd = url.range(of: "://"), url[..<schemeEnd.lowerBound].lowercased() == Self.urlScheme
        else {
            throw invalid("expected redis+sentinel://host:port,host:port/master-name")
        }
        var rest = url[schemeEnd.upperBound...]
        var sentinelPassword: String?
        if let question = rest.firstIndex(of: "?") {
            let query = rest[rest.index(after: question)...]
            rest = rest[..<question]
            for pair in query.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, parts[0] == "sentinel_password",
                    let value = String(parts[1]).removingPercentEncoding
                else {
                    throw invalid("unknown query parameter \"\(parts[0])\"; only sentinel_password is known")
                }
                sentinelPassword = value
            }
        }
        guard let slash = rest.firstIndex(of: "/") else {
            throw invalid("no master name: add /name, the name the sentinels monitor the master under")
        }
        let path = rest[rest.index(after: slash)...].split(separator: "/", omittingEmptySubsequences: false)
        rest = rest[..<slash]
        guard let name = path.first.flatMap({ String($0).removingPercentEncoding }), !name.isEmpty else {
            throw invalid("no master name: add /name, the name the sentinels monitor the master under")
        }
        var database = 0
        if path.count == 2 {
            guard let index = Int(path[1]), index >= 0 else {
                throw invalid("database \"\(path[1])\" is not a non-negative integer")
            }
            database = index
        } else if path.count > 2 {
            throw invalid("the path is /master-name or /master-name/db")
        }
        let (username, password) = try RedisClusterConfiguration.credentials(splittingOff: &rest, invalid)
        var sentinels: [RedisClusterAddress] = []
        for (index, part) in rest.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            var address = try RedisClusterConfiguration.seed(part, number: index + 1, invalid)
            if !part.contains(":") || part.hasSuffix("]") { address.port = 26379 }
            sentinels.append(address)
        }
        self.init(
            sentinels: sentinels, masterName: name, username: username, password: password,
            sentinelPassword: sentinelPassword, database: database)
    }

    /// The configuration as a URL, passwords replaced by `***`: safe for logs and `tally doctor`.
    public var redactedURL: String {
        var auth = ""
        if password != nil { auth = "\(username ?? ""):***@" } else if let username { auth = "\(username)@" }
        let name = masterName.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? masterName
        return "\(Self.urlScheme)://\(auth)" + sentinels.map(\.description).joined(separator: ",") + "/\(name)"
            + (database == 0 ? "" : "/\(database)") + (sentinelPassword == nil ? "" : "?sentinel_password=***")
    }
}
