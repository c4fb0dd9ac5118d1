extension RedisClusterTopology {
    /// Reads a `CLUSTER SHARDS` reply (Redis 7.0+): per shard a map (as a flat RESP2 array) with `slots` (start and
    /// end, alternating) and `nodes` (maps with `id`, `port`, `ip`, `endpoint`, `role`, `health`, …).
    ///
    /// A node is reached at its `endpoint`, or its `ip` when the endpoint is empty or `?` (unknown); an empty host
    /// means the node that answered (`answeredBy`). A shard's master is its `role master` node, an online one
    /// first; a shard without one (or without slots) serves no slots.
    /// - Throws: `.unexpectedReply` naming what doesn't fit; an error reply's classified error.
    public init(shardsReply reply: RedisReply, answeredBy: RedisClusterAddress) throws(RedisError) {
        var shards: [Shard] = []
        for (number, entry) in try Self.elements(reply, "CLUSTER SHARDS").enumerated() {
            let context = "CLUSTER SHARDS shard \(number)"
            let fields = try Self.fields(entry, context)
            let bounds = try Self.elements(fields["slots"] ?? .array([]), context + " slots").map {
                reply throws(RedisError) in try Self.integer(reply, context + " slots")
            }
            guard bounds.count.isMultiple(of: 2) else {
                throw Self.malformed(context + " slots", "an odd number of slot bounds")
            }
            var ranges: [ClosedRange<Int>] = []
            for index in stride(from: 0, to: bounds.count, by: 2) {
                guard bounds[index] >= 0, bounds[index] <= bounds[index + 1], bounds[index + 1] < RedisClusterSlot.count
                else {
                    throw Self.malformed(context + " slots", "range \(bounds[index])-\(bounds[index + 1])")
                }
                ranges.append(bounds[index]...bounds[index + 1])
            }
            var masters: [Node] = []
            var replicas: [Node] = []
            for nodeReply in try Self.elements(fields["nodes"] ?? .array([]), context + " nodes") {
                let node = try Self.fields(nodeReply, context + " node")
                let endpoint = try node["endpoint"].map { reply throws(RedisError) in try reply.string() } ?? ""
                let ip = try node["ip"].map { reply throws(RedisError) in try reply.string() } ?? ""
                var host = endpoint.isEmpty || endpoint == "?" ? ip : endpoint
                if host.isEmpty { host = answeredBy.host }
                guard let portReply = node["port"] ?? node["tls-port"] else {
                    throw Self.malformed(context + " node", "no port")
                }
                let health = try node["health"].map { reply throws(RedisError) in try reply.string() } ?? "online"
                let parsed = Node(
                    id: try node["id"]?.string(),
                    address: RedisClusterAddress(host: host, port: try Self.integer(portReply, context + " port")),
                    isOnline: health == "online", isFailed: health == "fail")
                if try node["role"]?.string() == "master" { masters.append(parsed) } else { replicas.append(parsed) }
            }
            // Mid-failover both the old and the new master may say `master`; the online one serves.
            guard let master = masters.first(where: \.isOnline) ?? masters.first else { continue }
            replicas += masters.filter { $0 != master }
            shards.append(Shard(slots: ranges, master: master, replicas: replicas))
        }
        self.init(shards: shards)
    }

    /// Reads a `CLUSTER SLOTS` reply: per slot range `start`, `end`, then the master and each replica as
    /// `[host, port, id, …]`. An empty host means the node that answered (`answeredBy`); a node with host `?`
    /// (unknown endpoint) is left out, and a range without its master serves no slots.
    /// - Throws: `.unexpectedReply` naming what doesn't fit; an error reply's classified error.
    public init(slotsReply reply: RedisReply, answeredBy: RedisClusterAddress) throws(RedisError) {
        var shards: [Shard] = []
        for (number, entry) in try Self.elements(reply, "CLUSTER SLOTS").enumerated() {
            let context = "CLUSTER SLOTS range \(number)"
            let parts = try Self.elements(entry, context)
            guard parts.count >= 3 else { throw Self.malformed(context, "\(parts.count) elements, expected 3 or more") }
            let start = try Self.integer(parts[0], context)
            let end = try Self.integer(parts[1], context)
            guard start >= 0, start <= end, end < RedisClusterSlot.count else {
                throw Self.malformed(context, "range \(start)-\(end)")
            }
            var nodes: [Node?] = []
            for nodeReply in parts[2...] {
                let node = try Self.elements(nodeReply, context + " node")
                guard node.count >= 2 else { throw Self.malformed(context + " node", "no host and port") }
                var host = try node[0].string()
                if host.isEmpty { host = answeredBy.host }
                let port = try Self.integer(node[1], context + " port")
                let id = node.count >= 3 ? try node[2].string() : nil
                nodes.append(host == "?" ? nil : Node(id: id, address: RedisClusterAddress(host: host, port: port)))
            }
            guard let master = nodes[0] else { continue }
            // The same master appears once per range: merge its ranges into one shard.
            if let index = shards.firstIndex(where: { $0.master.address == master.address }) {
                shards[index].slots.append(start...end)
            } else {
                shards.append(
                    Shard(slots: [start...end], master: master, replicas: nodes.dropFirst().compactMap { $0 }))
            }
        }
        self.init(shards: shards)
    }

    // MARK: - RESP2 shapes

    private static func elements(_ reply: RedisReply, _ context: String) throws(RedisError) -> [RedisReply] {
        if let error = reply.serverError { throw error }
        guard case .array(let elements) = reply else {
            throw malformed(context, "a \(reply.typeName) reply where an array belongs")
        }
        return elements
    }

    /// A RESP3-style map sent as a flat RESP2 array: name, value, name, value, ….
    private static func fields(_ reply: RedisReply, _ context: String) throws(RedisError) -> [String: RedisReply] {
        let flat = try elements(reply, context)
        guard flat.count.isMultiple(of: 2) else { throw malformed(context, "a map with an odd number of elements") }
        var fields: [String: RedisReply] = [:]
        for index in stride(from: 0, to: flat.count, by: 2) {
            fields[try flat[index].string()] = flat[index + 1]
        }
        return fields
    }

    private static func integer(_ reply: RedisReply, _ context: String) throws(RedisError) -> Int {
        guard case .integer(let value) = reply, let number = Int(exactly: value) else {
            throw malformed(context, "a \(reply.typeName) reply where an integer belongs")
        }
        return number
    }

    private static func malformed(_ context: String, _ what: String) -> RedisError {
        RedisError(code: .unexpectedReply, message: "\(context): \(what)")
    }
}
