/// The period a metric covers (`time_frame`).
public enum TimeFrame: String, Sendable, Hashable, CaseIterable, Codable {
    /// The last complete ISO week.
    case sevenDays = "7d"
    /// The last four complete ISO weeks.
    case twentyEightDays = "28d"
    /// All time.
    case all = "all"
    /// Not time-bound (settings, system values).
    case none = "none"

    /// Whether counters for this frame are kept per ISO week (`7d`, `28d`).
    public var isTimeFramed: Bool { self == .sevenDays || self == .twentyEightDays }

    /// The `key_path` suffix GitLab adds when a `time_frame` list is expanded.
    public var keyPathSuffix: String {
        switch self {
        case .sevenDays: "_weekly"
        case .twentyEightDays: "_monthly"
        case .all, .none: ""
        }
    }
}

/// Whether a metric is reported (`status`).
public enum MetricStatus: String, Sendable, Hashable, CaseIterable, Codable {
    case active, removed, broken

    /// Whether the Service Ping reports metrics of this status.
    public var isReported: Bool { self != .removed }
}

/// Where a metric's value comes from (`data_source`).
public enum DataSource: String, Sendable, Hashable, CaseIterable, Codable {
    case database
    case redis
    case redisHLL = "redis_hll"
    case prometheus
    case system
    case license
    case internalEvents = "internal_events"
}

/// How a metric's data may be shared (`data_category`).
public enum DataCategory: String, Sendable, Hashable, CaseIterable, Codable {
    case operational, optional, subscription, standard
}

/// The JSON type of a metric's value (`value_type`).
public enum ValueType: String, Sendable, Hashable, CaseIterable, Codable {
    case string, number, boolean, object
}

/// A GitLab subscription tier (`tiers`).
public enum Tier: String, Sendable, Hashable, CaseIterable, Codable {
    case free, premium, ultimate
}

/// An identifier an event may be tracked with (`identifiers`).
public enum EventIdentifier: String, Sendable, Hashable, CaseIterable, Codable {
    case project, user, namespace
    case featureEnabledByNamespaceIDs = "feature_enabled_by_namespace_ids"
}

/// What a unique metric counts distinct values of (`unique` of a metric's event rule).
public enum UniqueIdentifier: String, Sendable, Hashable, CaseIterable, Codable {
    case userID = "user.id"
    case projectID = "project.id"
    case namespaceID = "namespace.id"
    case label, property, value

    /// The part before the first dot, used in Redis keys: `user`, `project`, `namespace`, `label`, ….
    public var keyPart: String {
        switch self {
        case .userID: "user"
        case .projectID: "project"
        case .namespaceID: "namespace"
        case .label: "label"
        case .property: "property"
        case .value: "value"
        }
    }
}

/// An aggregation over a numeric property (`operator` of a metric's event rule).
public enum AggregationOperator: String, Sendable, Hashable, CaseIterable, Codable {
    /// Sum of the `value` property.
    case sumOfValue = "sum(value)"
}

/// GitLab's performance indicator labels (`performance_indicator_type`).
public enum PerformanceIndicatorType: String, Sendable, Hashable, CaseIterable, Codable {
    case gmau, smau, umau
    case paidGMAU = "paid_gmau"
    case customerHealthScore = "customer_health_score"
    case devopsReport = "devops_report"
    case lighthouse
    case leadingIndicator = "leading_indicator"
}
