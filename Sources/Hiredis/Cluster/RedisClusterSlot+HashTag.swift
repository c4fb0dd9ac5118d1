extension RedisClusterSlot {
    /// A short text whose slot is this one: a key holding `{` + `hashTag` + `}` lands in this slot, so a key made up
    /// for a group of keys (a marker beside the writes it guards) can share their slot whatever their names.
    ///
    /// The tags are decimal numbers, the smallest one per slot, found once for all slots (about 10⁵ CRCs, a few
    /// milliseconds) on first use.
    public var hashTag: String { String(Self.hashTags[number]) }

    /// The smallest non-negative integer hashing to each slot.
    private static let hashTags: [Int] = {
        var tags = [Int](repeating: -1, count: count)
        var found = 0
        var candidate = 0
        while found < count {
            let slot = Int(crc16(Array(String(candidate).utf8)) % UInt16(count))
            if tags[slot] < 0 {
                tags[slot] = candidate
                found += 1
            }
            candidate += 1
        }
        return tags
    }()
}
