/// One metric of the Service Ping, after `time_frame` expansion: a file with `time_frame: [28d, 7d]` gives two.
public struct MetricDefinition: Sendable, Hashable, Codable {
    /// One entry of an internal-events metric's `events`.
    public struct EventRule: Sendable, Hashable, Codable {
        public var name: String
        public var unique: UniqueIdentifier?
        public var filter: [String: PropertyValue]
        public var aggregation: AggregationOperator?

        public init(
            name: String, unique: UniqueIdentifier? = nil, filter: [String: PropertyValue] = [:],
            aggregation: AggregationOperator? = nil
        ) {
            self.name = name
            self.unique = unique
            self.filter = filter
            self.aggregation = aggregation
        }

        /// What kind of counter the entry reads.
        public var kind: EventSelectionRule.Kind {
            EventSelectionRule(name: name, isTimeFramed: true, unique: unique, aggregation: aggregation).kind
        }
    }

    /// Dotted path in the payload; suffixed `_weekly`/`_monthly` when expanded from a list.
    public var keyPath: String
    /// The `key_path` written in the file.
    public var declaredKeyPath: String
    public var description: String
    public var valueType: ValueType
    public var status: MetricStatus
    public var productGroup: String?
    public var productCategories: [String]
    /// This metric's frame.
    public var timeFrame: TimeFrame
    public var dataSource: DataSource
    public var dataCategory: DataCategory
    public var milestone: String?
    public var milestoneRemoved: String?
    public var introducedByURL: String?
    public var removedByURL: String?
    public var repairIssueURL: String?
    /// GitLab's instrumentation class name (`RedisHLLMetric`, `CountUsersMetric`, …); none for internal events.
    public var instrumentationClass: String?
    /// Instrumentation options, as written.
    public var options: JSONValue?
    /// Internal-events metrics: the events and how each is counted.
    public var events: [EventRule]
    public var performanceIndicatorTypes: [PerformanceIndicatorType]
    public var tiers: [Tier]
    public var valueJSONSchema: String?
    /// Where the definition was read from.
    public var source: SourceLocation

    /// The selection rules of an internal-events metric, one per `events` entry.
    public var selectionRules: [EventSelectionRule] {
        events.map {
            EventSelectionRule(
                name: $0.name, isTimeFramed: timeFrame.isTimeFramed, filter: $0.filter, unique: $0.unique,
                aggregation: $0.aggregation)
        }
    }

    /// Event names listed in legacy `options.events` (`RedisHLLMetric`, `AggregatedMetric`).
    public var optionEvents: [String] {
        options?["events"]?.array?.compactMap(\.string) ?? []
    }
}
