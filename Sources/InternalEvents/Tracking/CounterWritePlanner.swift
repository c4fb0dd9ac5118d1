/// Turns a tracked event into counter writes, with every rule's base key computed once up front.
public struct CounterWritePlanner: Sendable {
    public let scheme: CounterKeyScheme
    private let baseKeys: [EventSelectionRule: String]

    /// Precomputes the base keys of every rule of every event of `catalog`.
    public init(catalog: DefinitionCatalog, scheme: CounterKeyScheme) {
        self.scheme = scheme
        var baseKeys: [EventSelectionRule: String] = [:]
        for action in catalog.events.keys {
            for rule in catalog.rules(forEvent: action) { baseKeys[rule] = scheme.baseKey(for: rule) }
        }
        self.baseKeys = baseKeys
    }

    /// The writes of one event: one per rule whose filter matches and whose unique member or `value` is present.
    public func writes(for event: TrackedEvent) -> [CounterWrite] {
        let weekSuffix = ISOWeek(containing: event.timestamp).description
        var writes: [CounterWrite] = []
        writes.reserveCapacity(event.rules.count)
        for rule in event.rules where rule.matches(event.properties) {
            let base = baseKeys[rule] ?? scheme.baseKey(for: rule)
            let key = scheme.key(base: base, rule: rule, weekSuffix: weekSuffix)
            switch rule.kind {
            case .total:
                writes.append(.increment(key: key, by: 1, weekly: rule.isTimeFramed))
            case .sum:
                switch event.properties["value"] {
                case .integer(let value):
                    writes.append(.incrementFloat(key: key, by: Double(value), weekly: rule.isTimeFramed))
                case .double(let value): writes.append(.incrementFloat(key: key, by: value, weekly: rule.isTimeFramed))
                default: continue
                }
            case .unique:
                guard let unique = rule.unique, let member = event.uniqueMember(unique) else { continue }
                writes.append(.addUnique(key: key, members: [member]))
            }
        }
        return writes
    }
}
