/// A `-MOVED slot host:port` or `-ASK slot host:port` answer: the command was not run, and names the node to ask.
public struct RedisClusterRedirect: Sendable, Hashable, CustomStringConvertible {
    /// How long the redirect holds.
    public enum Kind: Sendable, Hashable {
        /// The slot now lives on `address`: update the slot map, then retry there.
        case moved
        /// The slot is being migrated and the key may be on `address`: retry there once, after `ASKING`.
        case ask
    }

    public var kind: Kind
    public var slot: RedisClusterSlot
    public var address: RedisClusterAddress

    public init(kind: Kind, slot: RedisClusterSlot, address: RedisClusterAddress) {
        self.kind = kind
        self.slot = slot
        self.address = address
    }

    /// Reads a redirect from a classified server error (`.moved` or `.ask`; its message starts with the server's
    /// line, as a transaction's error does too). An empty host (`MOVED 3999 :6380`: the endpoint is unknown) means
    /// the host of the node that answered, `answeredBy`. `nil` for any other error or a line that doesn't parse.
    public init?(_ error: RedisError, answeredBy: RedisClusterAddress) {
        let kind: Kind
        switch error.code {
        case .moved: kind = .moved
        case .ask: kind = .ask
        default: return nil
        }
        let words = error.message.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
        guard words.count >= 3, let number = Int(words[1]), let slot = RedisClusterSlot(checking: number),
            var address = RedisClusterAddress(words[2])
        else { return nil }
        if address.host.isEmpty { address.host = answeredBy.host }
        self.init(kind: kind, slot: slot, address: address)
    }

    public var description: String { "\(kind == .moved ? "MOVED" : "ASK") \(slot.number) \(address)" }
}
