import Hiredis

extension RedisHyperLogLog {
    /// Merges `other` into this HyperLogLog: every register becomes the larger of the two, so the result counts
    /// the union of both sets (what `PFMERGE` stores).
    public mutating func merge(_ other: RedisHyperLogLog) {
        for index in 0..<Self.wordCount {
            let theirs = other.words[index]
            if theirs == 0 { continue }
            let ours = words[index]
            words[index] = ours == 0 ? theirs : Self.bytewiseMaximum(ours, theirs)
        }
    }

    /// This HyperLogLog merged with `other`, register by register maximum; see `merge(_:)`.
    public func merging(_ other: RedisHyperLogLog) -> RedisHyperLogLog {
        var result = self
        result.merge(other)
        return result
    }

    /// The merge of several HyperLogLogs, register by register maximum: what `PFMERGE` stores and multi-key
    /// `PFCOUNT` counts. A `nil` (a missing key) counts as empty, as it does for Redis; no HyperLogLogs at all give
    /// an empty one.
    public static func merge(_ hyperLogLogs: some Sequence<RedisHyperLogLog?>) -> RedisHyperLogLog {
        var result: RedisHyperLogLog?
        for case let hyperLogLog? in hyperLogLogs {
            if result == nil { result = hyperLogLog } else { result?.merge(hyperLogLog) }
        }
        return result ?? RedisHyperLogLog()
    }

    /// The larger of each pair of bytes of `left` and `right`, every byte below 128.
    ///
    /// Per byte, `(l + 128) − r` keeps its top bit exactly when `l ≥ r`, and never borrows from the next byte;
    /// that bit, spread over its byte, selects `l` or `r`.
    static func bytewiseMaximum(_ left: UInt64, _ right: UInt64) -> UInt64 {
        let high: UInt64 = 0x8080_8080_8080_8080
        let leftIsLarger = ((left | high) &- right) & high
        let mask = (leftIsLarger >> 7) &* 0xFF
        return (left & mask) | (right & ~mask)
    }
}
