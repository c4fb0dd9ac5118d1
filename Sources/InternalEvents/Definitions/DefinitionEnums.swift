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

/// What a unique metric counts distinct values of (`unique` of a metric's event rule): an identifier (`user.id`,
/// `project.id`, `namespace.id`) or an additional property of the event (`label`, `property`, `value`, or a custom
/// one such as `merge_request_iid`).
public enum UniqueIdentifier: Sendable, Hashable, Codable, CustomStringConvertible {
    case userID
    case projectID
    case namespaceID
    /// An additional property, by name (`label`, `property`, `value` or a custom property).
    case additionalProperty(String)

    public static let label = UniqueIdentifier.additionalProperty("label")
    public static let property = UniqueIdentifier.additionalProperty("property")
    public static let value = UniqueIdentifier.additionalProperty("value")

    /// From the definition's text: `user.id`, `project.id`, `namespace.id`, or an additional property's name
    /// (letters, digits, `_`: it becomes part of the Redis key). `nil` for anything else, such as `user.email`
    /// (GitLab would key it by `user` and count user ids, surely not what was meant) or a bare `user`.
    public init?(rawValue: String) {
        switch rawValue {
        case "user.id": self = .userID
        case "project.id": self = .projectID
        case "namespace.id": self = .namespaceID
        case "user", "project", "namespace": return nil
        default:
            guard !rawValue.isEmpty, rawValue.utf8.allSatisfy(Self.isWordByte) else { return nil }
            self = .additionalProperty(rawValue)
        }
    }

    private static func isWordByte(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
            || byte == 0x5F
    }

    /// The text as definitions write it.
    public var rawValue: String {
        switch self {
        case .userID: "user.id"
        case .projectID: "project.id"
        case .namespaceID: "namespace.id"
        case .additionalProperty(let name): name
        }
    }

    public var description: String { rawValue }

    /// The part before the first dot, used in Redis keys: `user`, `project`, `namespace`, `label`, `merge_request_iid`.
    public var keyPart: String {
        switch self {
        case .userID: "user"
        case .projectID: "project"
        case .namespaceID: "namespace"
        case .additionalProperty(let name): name
        }
    }

    /// The additional property counted, for property uniques.
    public var propertyName: String? {
        if case .additionalProperty(let name) = self { return name }
        return nil
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = UniqueIdentifier(rawValue: text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not a unique identifier: \(text)"))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// An aggregation of a metric's event rule (`operator`).
public enum AggregationOperator: String, Sendable, Hashable, CaseIterable, Codable {
    /// Sum of the `value` property (`INCRBYFLOAT`).
    case sumOfValue = "sum(value)"
    /// Unique totals: how often each value of the `unique` property was seen (`HINCRBY` into a hash).
    case total
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
