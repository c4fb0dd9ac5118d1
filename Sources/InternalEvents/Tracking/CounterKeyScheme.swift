/// GitLab's Redis key names for event selection rules, byte for byte (DESIGN.md §4).
///
/// `{SLOT}_PATH[-WEEK]`: the slot is `event_sums` for sums, `event_counters` for totals, `hll_counters` for
/// uniques and unique totals; the path is the rule's `pathPart`, replaced by its legacy name when `hll_redis_key_overrides.yml` maps
/// it; the week suffix (`-2025-07`) is added for time-framed rules; an all-time total key is finally replaced by its
/// legacy name when `total_counter_redis_key_overrides.yml` maps it. An optional prefix goes before everything.
///
/// With `layout: .spread` (opt-in, for a Redis Cluster) the braces move from the kind to the path,
/// `KIND_{PATH}[-WEEK]`: each rule's keys get a slot of their own, so Tally's load spreads over the cluster's masters
/// instead of the three slots of GitLab's names. A rule's weeks still share a slot; unique counts over several rules
/// are merged client-side by the ping.
public struct CounterKeyScheme: Sendable, Hashable {
    /// Where the hash tag of a key is.
    public enum Layout: String, Sendable, Hashable, CaseIterable {
        /// GitLab's names, byte for byte: `{event_counters}_PATH`, one slot per kind.
        case gitLab = "gitlab"
        /// `event_counters_{PATH}`: one slot per rule.
        case spread
    }

    /// Six weeks: the TTL of weekly keys, so that the oldest week a 28d metric reads is still there.
    public static let weeklyTTLSeconds = 3_628_800

    /// Prepended to every key, for a Redis shared with other apps. Empty by default: keys are GitLab's.
    public var prefix: String
    public var aliases: LegacyKeyAliases
    /// GitLab's names (the default) or one slot per rule.
    public var layout: Layout

    public init(prefix: String = "", aliases: LegacyKeyAliases = .init(), layout: Layout = .gitLab) {
        self.prefix = prefix
        self.aliases = aliases
        self.layout = layout
    }

    /// The hash-tag slot of a rule's keys.
    public static func slot(of rule: EventSelectionRule) -> String {
        switch rule.kind {
        case .sum: "event_sums"
        case .total: "event_counters"
        case .unique, .uniqueTotal: "hll_counters"
        }
    }

    /// The key without week suffix and without prefix: `{hll_counters}_create_note-user`.
    public func baseKey(for rule: EventSelectionRule) -> String {
        let path = aliases.rulePaths[rule.pathPart] ?? rule.pathPart
        switch layout {
        case .gitLab: return "{\(Self.slot(of: rule))}_\(path)"
        case .spread: return "\(Self.slot(of: rule))_{\(path)}"
        }
    }

    /// The weekly HyperLogLog of a legacy (pre-internal-events) unique event, `{hll_counters}_<event>-<week>`, the
    /// event name passed through the path aliases: what `RedisHLLMetric` reads and `increment_unique_users` writes.
    public func legacyUniqueKey(event: String, weekSuffix: String) -> String {
        let path = aliases.rulePaths[event] ?? event
        switch layout {
        case .gitLab: return "\(prefix){hll_counters}_\(path)-\(weekSuffix)"
        case .spread: return "\(prefix)hll_counters_{\(path)}-\(weekSuffix)"
        }
    }

    /// The full key a rule writes (and a metric reads) for `week`; `week` is ignored for all-time rules.
    public func key(for rule: EventSelectionRule, week: ISOWeek) -> String {
        key(base: baseKey(for: rule), rule: rule, weekSuffix: week.description)
    }

    /// The full key from a precomputed base key (the tracker's hot path).
    func key(base: String, rule: EventSelectionRule, weekSuffix: String) -> String {
        if rule.isTimeFramed { return prefix + base + "-" + weekSuffix }
        if rule.kind == .total, let legacy = aliases.totalCounters[base] { return prefix + legacy }
        return prefix + base
    }
}
