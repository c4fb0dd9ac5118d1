import InternalEvents

/// `data_source: internal_events`: totals, uniques, sums and unique totals over the metric's selection rules, for
/// the last complete week (7d), the last four (28d) or all time, as GitLab's `TotalCountMetric`,
/// `UniqueCountMetric`, `TotalSumMetric` and `UniqueTotalsMetric` read them.
struct InternalEventsInstrumentation {
    static func computation(for metric: MetricDefinition, context: PingContext) -> MetricComputation {
        let rules = metric.selectionRules
        guard let first = rules.first else { return .failure(MetricFailure("the metric lists no events")) }
        let keysPerRule: [[String]]
        switch metric.timeFrame {
        case .sevenDays, .twentyEightDays:
            let weeks = context.week.completeWeeks(for: metric.timeFrame)
            keysPerRule = rules.map { rule in weeks.map { context.scheme.key(for: rule, week: $0) } }
        case .all:
            keysPerRule = rules.map { [context.scheme.key(for: $0, week: context.week)] }
        case .none:
            return .failure(MetricFailure("internal_events metrics need time_frame 7d, 28d or all, not none"))
        }
        var seen = Set<String>()
        let uniqueKeys = keysPerRule.joined().filter { seen.insert($0).inserted }
        switch first.kind {
        case .total: return .redis(RedisCounterReads.total(uniqueKeys))
        case .unique: return .redis(RedisCounterReads.unique(uniqueKeys))
        case .sum: return .redis(RedisCounterReads.sum(uniqueKeys))
        case .uniqueTotal: return .redis(uniqueTotals(rules: rules, keysPerRule: keysPerRule))
        }
    }

    /// One hash per unique property, GitLab's `to_h` over the rules: where two rules count the same property the
    /// later one's hash is the value, so only that rule's keys are read.
    private static func uniqueTotals(rules: [EventSelectionRule], keysPerRule: [[String]]) -> RedisRead {
        var kept: [(unique: String, keys: [String])] = []
        for (rule, keys) in zip(rules, keysPerRule) {
            let unique = rule.unique?.keyPart ?? ""
            // As Ruby's to_h: the first position, the last value.
            if let index = kept.firstIndex(where: { $0.unique == unique }) {
                kept[index].keys = keys
            } else {
                kept.append((unique, keys))
            }
        }
        let reads = kept.map { RedisCounterReads.uniqueTotals($0.keys, unique: $0.unique) }
        return RedisRead(commands: reads.flatMap(\.commands)) { replies in
            var pairs: [(key: String, value: JSONValue)] = []
            var offset = 0
            for read in reads {
                let part = Array(replies[offset..<offset + read.commands.count])
                offset += read.commands.count
                if case .object(let entry) = try read.value(part) { pairs += entry }
            }
            return .object(pairs)
        }
    }
}
