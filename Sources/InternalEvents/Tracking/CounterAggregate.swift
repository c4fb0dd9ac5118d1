/// Many events' counter writes added up in memory, keyed by (planned rule, week) numbers rather than key strings,
/// so that adding an event builds no string: totals and sums are added, unique members collected in sets.
struct CounterAggregate: Sendable {
    /// A counter: a planned rule and, for weekly rules, the Monday (days since 1970) of its week; -1 for all time.
    struct Slot: Hashable, Sendable {
        var rule: Int
        var week: Int
    }

    private(set) var totals: [Slot: Int64] = [:]
    private(set) var sums: [Slot: Double] = [:]
    private(set) var numericMembers: [Slot: Set<Int64>] = [:]
    private(set) var textMembers: [Slot: Set<String>] = [:]
    /// An estimate of the memory held, for the buffer's bound.
    private(set) var bytes = 0

    static let bytesPerCounter = 96
    static let bytesPerNumericMember = 24

    var isEmpty: Bool { totals.isEmpty && sums.isEmpty && numericMembers.isEmpty && textMembers.isEmpty }

    /// The most bytes adding one event of these rules can take.
    static func worstCaseBytes(of event: TrackedEvent, rules: Int) -> Int {
        rules * (bytesPerCounter + 64)
            + event.properties.values.reduce(0) { total, value in
                // No string is built on the hot path: text counts its bytes, a number at most 24.
                if case .string(let text) = value { return total + text.utf8.count }
                return total + 24
            }
    }

    /// Adds one event's writes for the planned rules it matches.
    mutating func add(_ event: TrackedEvent, rules: [CounterWritePlanner.PlannedRule], weekMonday: Int) {
        for planned in rules where planned.rule.matches(event.properties) {
            let rule = planned.rule
            let slot = Slot(rule: planned.id, week: rule.isTimeFramed ? weekMonday : -1)
            switch rule.kind {
            case .total:
                if let count = totals[slot] {
                    totals[slot] = count + 1
                } else {
                    totals[slot] = 1
                    bytes += Self.bytesPerCounter
                }
            case .sum:
                guard let amount = event.sumAmount else { continue }
                if let total = sums[slot] {
                    sums[slot] = total + amount
                } else {
                    sums[slot] = amount
                    bytes += Self.bytesPerCounter
                }
            case .unique:
                guard let unique = rule.unique else { continue }
                let numeric: Int64? =
                    switch unique {
                    case .userID: event.user?.rawValue
                    case .projectID: event.project?.rawValue
                    case .namespaceID: event.namespace?.rawValue
                    default: nil
                    }
                if let numeric {
                    if numericMembers[slot] == nil { bytes += Self.bytesPerCounter }
                    if numericMembers[slot, default: []].insert(numeric).inserted {
                        bytes += Self.bytesPerNumericMember
                    }
                } else if let text = event.uniqueMember(unique) {
                    if textMembers[slot] == nil { bytes += Self.bytesPerCounter }
                    if textMembers[slot, default: []].insert(text).inserted { bytes += text.utf8.count + 32 }
                }
            }
        }
    }

    /// The aggregate as writes with their Redis keys: one per counter.
    func writes(planner: CounterWritePlanner) -> [CounterWrite] {
        func key(_ slot: Slot) -> String {
            planner.key(for: planner.rules[slot.rule], week: ISOWeek(day: max(slot.week, 0)))
        }
        var writes: [CounterWrite] = []
        writes.reserveCapacity(totals.count + sums.count + numericMembers.count + textMembers.count)
        for (slot, count) in totals { writes.append(.increment(key: key(slot), by: count, weekly: slot.week >= 0)) }
        for (slot, amount) in sums {
            writes.append(.incrementFloat(key: key(slot), by: amount, weekly: slot.week >= 0))
        }
        for (slot, members) in numericMembers {
            writes.append(.addUnique(key: key(slot), members: members.sorted().map(String.init)))
        }
        for (slot, members) in textMembers { writes.append(.addUnique(key: key(slot), members: members.sorted())) }
        return writes
    }
}
