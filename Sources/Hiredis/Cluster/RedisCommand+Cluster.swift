extension RedisCommand {
    /// `ASKING`: lets the next command (or the next transaction, when `MULTI` follows) touch a slot this node is
    /// importing; sent by the cluster client after an `-ASK` redirect.
    public static let asking = RedisCommand("ASKING")

    /// `CLUSTER SHARDS` (Redis 7.0): every shard's slot ranges and nodes.
    public static let clusterShards = RedisCommand("CLUSTER", arguments: ["SHARDS"])

    /// `CLUSTER SLOTS`: slot ranges with their master and replicas (before Redis 7.0; deprecated since).
    public static let clusterSlots = RedisCommand("CLUSTER", arguments: ["SLOTS"])

    /// `CLUSTER INFO`: `cluster_state:ok`, slot counts and more, as `name:value` lines.
    public static let clusterInfo = RedisCommand("CLUSTER", arguments: ["INFO"])

    /// `CLUSTER MYID`: the node's 40-character id.
    public static let clusterMyID = RedisCommand("CLUSTER", arguments: ["MYID"])

    /// `CLUSTER KEYSLOT key`: the server's slot for the key. The key is an argument here, not a routed key: any
    /// node answers.
    public static func clusterKeySlot(_ key: some RedisArgumentConvertible) -> RedisCommand {
        RedisCommand("CLUSTER", arguments: ["KEYSLOT", key])
    }

    /// The slot a cluster client routes the command to: the slot of its keys (`keys`), or `nil` when it has none
    /// (then any master may serve it).
    ///
    /// Routing needs nothing more than the keys a command carries, which every builder and `init(_:keys:arguments:)`
    /// record; a command made with its keys passed as plain `arguments` would be sent to any node and answered with
    /// `-MOVED` or `-CROSSSLOT` by the server instead.
    /// - Throws: `.crossSlot` when the keys hash to different slots: a Redis Cluster runs a command on one node, so a
    ///   multi-key command needs keys of one hash tag. That is a programming error, found before anything is sent.
    public func clusterSlot() throws(RedisError) -> RedisClusterSlot? {
        guard let first = keyPositions.first else { return nil }
        let slot = RedisClusterSlot(key: arguments[first])
        for position in keyPositions.dropFirst() {
            let other = RedisClusterSlot(key: arguments[position])
            if other != slot {
                throw RedisError(
                    code: .crossSlot,
                    message:
                        "programming error: \(name)'s keys \(Self.shown(arguments[first])) (\(slot)) and "
                        + "\(Self.shown(arguments[position])) (\(other)) hash to different cluster slots; give the "
                        + "keys of one command the same hash tag ({…})")
            }
        }
        return slot
    }

    /// Each command's `clusterSlot()`, in order. A command whose one key is the key of the command before it (a
    /// batch of `INCR`s of one counter) reuses that slot instead of hashing the key again.
    /// - Throws: the first command's `.crossSlot`.
    public static func clusterSlots(of commands: [RedisCommand]) throws(RedisError) -> [RedisClusterSlot?] {
        var slots: [RedisClusterSlot?] = []
        slots.reserveCapacity(commands.count)
        var previous: (key: [UInt8], slot: RedisClusterSlot)?
        for command in commands {
            if command.keyPositions.count == 1 {
                let key = command.arguments[command.keyPositions[0]]
                if let previous, previous.key == key {
                    slots.append(previous.slot)
                } else {
                    let slot = RedisClusterSlot(key: key)
                    previous = (key, slot)
                    slots.append(slot)
                }
            } else {
                slots.append(try command.clusterSlot())
            }
        }
        return slots
    }

    /// A key for an error message: at most 100 bytes, as text.
    static func shown(_ key: [UInt8]) -> String {
        "\"" + String(decoding: key.prefix(100), as: UTF8.self) + (key.count > 100 ? "…" : "") + "\""
    }
}
