/// Counter writes added up in memory: increments summed per key, unique members collected per key.
///
/// Adding never loses precision for totals (integers); float sums are added as doubles, as Redis' INCRBYFLOAT does.
struct CounterAggregate: Sendable {
    private(set) var increments: [String: (count: Int64, weekly: Bool)] = [:]
    private(set) var floatIncrements: [String: (amount: Double, weekly: Bool)] = [:]
    private(set) var uniques: [String: Set<String>] = [:]
    /// An estimate of the memory held, for the buffer's bound.
    private(set) var bytes = 0
    /// Events added since the aggregate was empty.
    private(set) var events = 0

    var isEmpty: Bool { increments.isEmpty && floatIncrements.isEmpty && uniques.isEmpty }

    /// What adding `writes` would cost in bytes at most (new keys and members); exact enough for a bound.
    static func estimatedBytes(of writes: [CounterWrite]) -> Int {
        writes.reduce(0) { total, write in
            switch write {
            case .increment(let key, _, _), .incrementFloat(let key, _, _): total + key.utf8.count + 64
            case .addUnique(let key, let members):
                total + key.utf8.count + 64 + members.reduce(0) { $0 + $1.utf8.count + 32 }
            }
        }
    }

    mutating func add(_ writes: [CounterWrite]) {
        events += 1
        for write in writes {
            switch write {
            case .increment(let key, let count, let weekly):
                if let existing = increments[key] {
                    increments[key] = (existing.count + count, weekly)
                } else {
                    increments[key] = (count, weekly)
                    bytes += key.utf8.count + 64
                }
            case .incrementFloat(let key, let amount, let weekly):
                if let existing = floatIncrements[key] {
                    floatIncrements[key] = (existing.amount + amount, weekly)
                } else {
                    floatIncrements[key] = (amount, weekly)
                    bytes += key.utf8.count + 64
                }
            case .addUnique(let key, let members):
                if uniques[key] == nil { bytes += key.utf8.count + 64 }
                for member in members where uniques[key, default: []].insert(member).inserted {
                    bytes += member.utf8.count + 32
                }
            }
        }
    }

    /// The aggregate as writes: one per key.
    func writes() -> [CounterWrite] {
        var writes: [CounterWrite] = []
        writes.reserveCapacity(increments.count + floatIncrements.count + uniques.count)
        for (key, value) in increments { writes.append(.increment(key: key, by: value.count, weekly: value.weekly)) }
        for (key, value) in floatIncrements {
            writes.append(.incrementFloat(key: key, by: value.amount, weekly: value.weekly))
        }
        for (key, members) in uniques { writes.append(.addUnique(key: key, members: members.sorted())) }
        return writes
    }
}
