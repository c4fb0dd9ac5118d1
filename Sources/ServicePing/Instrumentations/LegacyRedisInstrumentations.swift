import InternalEvents

/// GitLab's legacy Redis metrics: `RedisHLLMetric` and `AggregatedMetric` (unions of weekly HLLs named after events)
/// and `RedisMetric` (`GET USAGE_<PREFIX>_<EVENT>`).
enum LegacyRedisInstrumentations {
    /// `{hll_counters}_<event>-YYYY-WW` over the frame's weeks (the event name passed through the path aliases),
    /// one `PFCOUNT` for all events. `all` can't be read: there are no all-time HLLs.
    static func hll(for metric: MetricDefinition, context: PingContext) -> MetricComputation {
        let events = metric.optionEvents.isEmpty ? metric.events.map(\.name) : metric.optionEvents
        guard !events.isEmpty else { return .failure(MetricFailure("no events in options.events or events")) }
        guard metric.timeFrame.isTimeFramed else {
            return .failure(
                MetricFailure(
                    "unique counts exist per week only; time_frame \(metric.timeFrame.rawValue) can't be read"))
        }
        let weeks = context.week.completeWeeks(for: metric.timeFrame)
        let keys = events.flatMap { event in
            weeks.map { context.scheme.legacyUniqueKey(event: event, weekSuffix: $0.description) }
        }
        return .redis(RedisCounterReads.unique(keys))
    }

    /// `RedisMetric`: `GET` of `USAGE_<PREFIX>_<EVENT>` (without `USAGE_` when `include_usage_prefix` is false).
    static func counter(for metric: MetricDefinition, context: PingContext) -> MetricComputation {
        guard let key = metric.legacyCounterKey else {
            return .failure(MetricFailure("options.event is missing"))
        }
        return .redis(RedisCounterReads.total([context.scheme.prefix + key]))
    }
}
