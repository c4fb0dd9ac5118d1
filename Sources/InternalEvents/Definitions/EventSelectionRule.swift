/// Which tracked events a counter counts, and how: GitLab's `EventSelectionRule`.
///
/// Every event has two implicit rules (an all-time total and a weekly total); each metric adds one rule per entry
/// of its `events`. Two rules are equal when they would write the same counter.
public struct EventSelectionRule: Sendable, Hashable, Codable {
    /// The event's `action`.
    public var name: String
    /// Whether the counter is kept per ISO week (metrics of `7d`/`28d`).
    public var isTimeFramed: Bool
    /// Additional properties an event must carry, with exactly these values, to be counted.
    public var filter: [String: PropertyValue]
    /// For unique counters and unique totals: what is counted distinctly.
    public var unique: UniqueIdentifier?
    /// For sums (`sum(value)`) and unique totals (`total`): the aggregation.
    public var aggregation: AggregationOperator?

    public init(
        name: String, isTimeFramed: Bool, filter: [String: PropertyValue] = [:], unique: UniqueIdentifier? = nil,
        aggregation: AggregationOperator? = nil
    ) {
        self.name = name
        self.isTimeFramed = isTimeFramed
        self.filter = filter
        self.unique = unique
        self.aggregation = aggregation
    }

    enum CodingKeys: String, CodingKey {
        case name, filter, unique
        case isTimeFramed = "time_framed"
        case aggregation = "operator"
    }

    /// What kind of counter the rule keeps.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// `INCR` counters.
        case total
        /// HyperLogLogs of distinct values.
        case unique
        /// `INCRBYFLOAT` sums.
        case sum
        /// `HINCRBY` hashes: a count per value of the unique property.
        case uniqueTotal = "unique_total"
    }

    public var kind: Kind {
        switch aggregation {
        case .sumOfValue: .sum
        case .total: .uniqueTotal
        case nil: unique == nil ? .total : .unique
        }
    }

    /// The filter in canonical form: keys sorted, `key:value` joined by commas (`label:npm,property:x`).
    public var canonicalFilter: String {
        filter.keys.sorted().map { "\($0):\(filter[$0]!)" }.joined(separator: ",")
    }

    /// GitLab's key path part: the name, then `-operator:…`, `-filter:[…]`, `-<unique>`.
    public var pathPart: String {
        var path = name
        if let aggregation { path += "-operator:\(aggregation.rawValue)" }
        if !filter.isEmpty { path += "-filter:[\(canonicalFilter)]" }
        if let unique { path += "-\(unique.keyPart)" }
        return path
    }

    /// Whether an event with these (declared) additional properties is counted by this rule.
    public func matches(_ properties: [String: PropertyValue]) -> Bool {
        filter.allSatisfy { key, expected in properties[key].map { expected.matches($0) } ?? false }
    }

    /// The two rules every event has: the all-time and the weekly total.
    public static func implicitRules(for event: String) -> [EventSelectionRule] {
        [EventSelectionRule(name: event, isTimeFramed: false), EventSelectionRule(name: event, isTimeFramed: true)]
    }
}
