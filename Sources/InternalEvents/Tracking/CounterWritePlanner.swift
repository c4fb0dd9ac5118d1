/// Turns a tracked event into counter writes, with every event's rules and their base keys prepared up front.
public struct CounterWritePlanner: Sendable {
    /// One rule of one event, numbered so that buffers can refer to it by number instead of by key.
    public struct PlannedRule: Sendable {
        public let id: Int
        public let rule: EventSelectionRule
        /// The key without week suffix and without prefix.
        public let baseKey: String
    }

    public let scheme: CounterKeyScheme
    /// Every planned rule, indexed by `id`.
    public let rules: [PlannedRule]
    private let rulesByEvent: [String: [PlannedRule]]
    /// The same lists by the catalog's event numbers (`TrackableEvent.number`), for events that catalog validated.
    private let rulesByNumber: [[PlannedRule]]
    private let catalog: CatalogIdentity

    /// Prepares the rules and base keys of every event of `catalog`.
    public init(catalog: DefinitionCatalog, scheme: CounterKeyScheme) {
        self.scheme = scheme
        var rules: [PlannedRule] = []
        var rulesByEvent: [String: [PlannedRule]] = [:]
        var rulesByNumber: [[PlannedRule]] = []
        // Sorted, as the catalog numbers its events.
        for action in catalog.events.keys.sorted() {
            var planned: [PlannedRule] = []
            for rule in catalog.rules(forEvent: action) {
                let entry = PlannedRule(id: rules.count, rule: rule, baseKey: scheme.baseKey(for: rule))
                rules.append(entry)
                planned.append(entry)
            }
            rulesByEvent[action] = planned
            rulesByNumber.append(planned)
        }
        self.rules = rules
        self.rulesByEvent = rulesByEvent
        self.rulesByNumber = rulesByNumber
        self.catalog = catalog.identity
    }

    /// The planned rules of an event (empty for an unknown one).
    public func plannedRules(for event: String) -> [PlannedRule] {
        rulesByEvent[event] ?? []
    }

    /// The planned rules of a tracked event: by number, without hashing its name, when this planner's catalog
    /// validated it.
    public func plannedRules(for event: TrackedEvent) -> [PlannedRule] {
        if let trackable = event.trackable, trackable.catalog === catalog { return rulesByNumber[trackable.number] }
        return plannedRules(for: event.name)
    }

    /// The full key of a planned rule in `week` (ignored for all-time rules).
    public func key(for planned: PlannedRule, week: ISOWeek) -> String {
        scheme.key(base: planned.baseKey, rule: planned.rule, weekSuffix: week.description)
    }

    /// The writes of one event: one per rule whose filter matches and whose unique member or `value` is present
    /// (GitLab skips a rule whose property is missing, too).
    public func writes(for event: TrackedEvent) -> [CounterWrite] {
        let week = ISOWeek(containing: event.timestamp)
        var writes: [CounterWrite] = []
        for planned in plannedRules(for: event) where planned.rule.matches(event.properties) {
            let rule = planned.rule
            switch rule.kind {
            case .total:
                writes.append(.increment(key: key(for: planned, week: week), by: 1, weekly: rule.isTimeFramed))
            case .sum:
                guard let amount = event.sumAmount else { continue }
                writes.append(
                    .incrementFloat(key: key(for: planned, week: week), by: amount, weekly: rule.isTimeFramed))
            case .unique:
                guard let unique = rule.unique, let member = event.uniqueMember(unique) else { continue }
                writes.append(.addUnique(key: key(for: planned, week: week), members: [member]))
            case .uniqueTotal:
                guard let unique = rule.unique, let member = event.uniqueMember(unique) else { continue }
                writes.append(
                    .incrementField(
                        key: key(for: planned, week: week), field: member, by: 1, weekly: rule.isTimeFramed))
            }
        }
        return writes
    }
}

extension TrackedEvent {
    /// The `value` property as a number, what `operator: sum(value)` rules add up.
    public var sumAmount: Double? {
        switch properties["value"] {
        case .integer(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }
}
