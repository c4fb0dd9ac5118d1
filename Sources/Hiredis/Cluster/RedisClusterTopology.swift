/// Which master serves each hash slot of a Redis Cluster, and which replicas each master has: the slot map a cluster
/// client routes by.
///
/// An immutable value (`Sendable`), read from `CLUSTER SHARDS` or `CLUSTER SLOTS` (see
/// `RedisClusterTopology+Parsing.swift`); `movingSlot(_:to:)` returns a corrected copy after a `-MOVED` redirect.
public struct RedisClusterTopology: Sendable, Hashable {
    /// A node of the cluster.
    public struct Node: Sendable, Hashable {
        /// The node's 40-character id, when the reply told it.
        public var id: String?
        /// Where clients reach it.
        public var address: RedisClusterAddress
        /// Whether it is healthy as the answering node sees it (`CLUSTER SHARDS`' `health` is `online`); `true`
        /// when the reply doesn't say (`CLUSTER SLOTS`).
        public var isOnline: Bool
        /// Whether the cluster marked it failed (`health` is `fail`). A replica that is neither online nor failed
        /// is `loading`: syncing, or (right after the cluster formed) not yet seen with a replication offset.
        public var isFailed: Bool

        public init(id: String? = nil, address: RedisClusterAddress, isOnline: Bool = true, isFailed: Bool = false) {
            self.id = id
            self.address = address
            self.isOnline = isOnline
            self.isFailed = isFailed
        }
    }

    /// A master, its replicas and the slots it serves.
    public struct Shard: Sendable, Hashable {
        /// Slot ranges served by the master, ascending.
        public var slots: [ClosedRange<Int>]
        public var master: Node
        public var replicas: [Node]

        public init(slots: [ClosedRange<Int>], master: Node, replicas: [Node] = []) {
            self.slots = slots
            self.master = master
            self.replicas = replicas
        }
    }

    /// The shards as the cluster reported them (corrections from `movingSlot(_:to:)` are not reflected here).
    public let shards: [Shard]
    /// Every master address a slot may route to, in first-seen order.
    public private(set) var masters: [RedisClusterAddress]
    /// For each slot, its master's index in `masters`, or `unassigned`.
    private var owners: [UInt16]

    private static let unassigned = UInt16.max

    /// A slot map from shards. A slot claimed by two shards (a reply taken mid-failover) goes to the later one.
    public init(shards: [Shard]) {
        self.shards = shards
        var masters: [RedisClusterAddress] = []
        var owners = [UInt16](repeating: Self.unassigned, count: RedisClusterSlot.count)
        let allSlots = 0...(RedisClusterSlot.count - 1)
        for shard in shards where !shard.slots.isEmpty {
            let index: Int
            if let known = masters.firstIndex(of: shard.master.address) {
                index = known
            } else {
                // A real cluster has at most a few hundred masters; past 65,534 a reply is nonsense, not a crash.
                guard masters.count < Int(Self.unassigned) else { continue }
                index = masters.count
                masters.append(shard.master.address)
            }
            for range in shard.slots where range.overlaps(allSlots) {
                for slot in range.clamped(to: allSlots) { owners[slot] = UInt16(index) }
            }
        }
        self.masters = masters
        self.owners = owners
    }

    /// The master serving `slot`, or `nil` when no master serves it (the cluster is missing that slot).
    public func master(for slot: RedisClusterSlot) -> RedisClusterAddress? {
        let index = owners[slot.number]
        return index == Self.unassigned ? nil : masters[Int(index)]
    }

    /// The one master serving every slot of `slots` (a `nil` slot, a command without keys, goes to the first
    /// master), or `nil` when they span several masters or one has none: a pipeline's common case, checked in one
    /// pass without building batches.
    public func soleMaster(of slots: [RedisClusterSlot?]) -> RedisClusterAddress? {
        var owner: UInt16?
        for slot in slots {
            let index = slot.map { owners[$0.number] } ?? (masters.isEmpty ? Self.unassigned : 0)
            if index == Self.unassigned || (owner != nil && owner != index) { return nil }
            owner = index
        }
        return owner.map { masters[Int($0)] }
    }

    /// How many slots have a master.
    /// How many replicas not marked failed the master at `address` has in the map as read (0 for an address that is
    /// no master): the replicas a write there can wait for.
    public func liveReplicaCount(of address: RedisClusterAddress) -> Int {
        shards.first { $0.master.address == address }?.replicas.filter { !$0.isFailed }.count ?? 0
    }

    public var assignedSlotCount: Int { owners.lazy.filter { $0 != Self.unassigned }.count }

    /// Every node the map knows, masters and replicas.
    public var allAddresses: Set<RedisClusterAddress> {
        var addresses = Set(masters)
        for shard in shards {
            addresses.insert(shard.master.address)
            for replica in shard.replicas { addresses.insert(replica.address) }
        }
        return addresses
    }

    /// A copy in which `slot` is served by `address`, as a `-MOVED` redirect tells.
    public func movingSlot(_ slot: RedisClusterSlot, to address: RedisClusterAddress) -> RedisClusterTopology {
        var copy = self
        if let index = copy.masters.firstIndex(of: address) {
            copy.owners[slot.number] = UInt16(index)
        } else if copy.masters.count < Int(Self.unassigned) {
            copy.owners[slot.number] = UInt16(copy.masters.count)
            copy.masters.append(address)
        }
        return copy
    }
}
