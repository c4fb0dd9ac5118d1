import InternalEvents

/// `data_source: internal_events`: totals, uniques and sums over the metric's selection rules, for the last complete
/// week (7d), the last four (28d) or all time, as GitLab's `TotalCountMetric`, `UniqueCountMetric` and
/// `TotalSumMetric` read them.
struct InternalEventsInstrumentation {
    static func computation(for metric: MetricDefinition, context: PingContext) -> MetricComputation {
        let rules = metric.selectionRules
        guard let first = rules.first else { return .failure(MetricFailure("the metric lists no events")) }
        let keys: [String]
        switch metric.timeFrame {
        case .sevenDays, .twentyEightDays:
            let weeks = context.week.completeWeeks(for: metric.timeFrame)
            keys = rules.flatMap { rule in weeks.map { context.scheme.key(for: rule, week: $0) } }
        case .all:
            keys = rules.map { context.scheme.key(for: $0, week: context.week) }
        case .none:
            return .failure(MetricFailure("internal_events metrics need time_frame 7d, 28d or all, not none"))
        }
        var seen = Set<String>()
        let uniqueKeys = keys.filter { seen.insert($0).inserted }
        switch first.kind {
        case .total: return .redis(RedisCounterReads.total(uniqueKeys))
        case .unique: return .redis(RedisCounterReads.unique(uniqueKeys))
        case .sum: return .redis(RedisCounterReads.sum(uniqueKeys))
        }
    }
}
