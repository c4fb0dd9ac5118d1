import Foundation

extension RedisClusterConfiguration {
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
        let (username, password) = try Self.credentials(splittingOff: &rest, invalid)
        var seeds: [RedisClusterAddress] = []
        for (index, part) in rest.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            seeds.append(try Self.seed(part, number: index + 1, invalid))
        }
        self.init(seeds: seeds, username: username, password: password)
    }

    /// Splits `user:password@` off the front of a URL's host list (percent-decoded; an empty user is `nil`), leaving
    /// the hosts in `authority`.
    static func credentials(
        splittingOff authority: inout Substring, _ invalid: (String) -> RedisError
    ) throws(RedisError) -> (username: String?, password: String?) {
        guard let at = authority.lastIndex(of: "@") else { return (nil, nil) }
        let userInfo = authority[..<at]
        authority = authority[authority.index(after: at)...]
        let user: Substring
        var password: String?
        if let colon = userInfo.firstIndex(of: ":") {
            user = userInfo[..<colon]
            guard let decoded = String(userInfo[userInfo.index(after: colon)...]).removingPercentEncoding else {
                throw invalid("the password is not valid percent-encoding")
            }
            password = decoded
        } else {
            user = userInfo
        }
        guard let username = String(user).removingPercentEncoding else {
            throw invalid("the user name is not valid percent-encoding")
        }
        return (username.isEmpty ? nil : username, password)
    }

    /// One `host[:port]` of the list.
    static func seed(
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
