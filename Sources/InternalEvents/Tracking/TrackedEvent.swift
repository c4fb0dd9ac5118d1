import Foundation

/// An event that passed validation, as sinks receive it.
public struct TrackedEvent: Sendable, Hashable {
    /// The event's `action`.
    public var name: String
    public var user: UserID?
    public var project: ProjectID?
    public var namespace: NamespaceID?
    /// Only the additional properties the event declares; undeclared ones never reach a sink.
    public var properties: [String: PropertyValue]
    /// When it happened (the tracker's clock).
    public var timestamp: Date
    /// The selection rules the event feeds (implicit totals first), from the catalog.
    public var rules: [EventSelectionRule]
    /// Whether event-record sinks may turn it into an outbound record (false for Do-Not-Track requests, or when
    /// the caller asked for counters only). Counters are updated either way.
    public var sendsEventRecord: Bool

    public init(
        name: String, user: UserID? = nil, project: ProjectID? = nil, namespace: NamespaceID? = nil,
        properties: [String: PropertyValue] = [:], timestamp: Date, rules: [EventSelectionRule],
        sendsEventRecord: Bool = true
    ) {
        self.name = name
        self.user = user
        self.project = project
        self.namespace = namespace
        self.properties = properties
        self.timestamp = timestamp
        self.rules = rules
        self.sendsEventRecord = sendsEventRecord
    }

    /// The member a unique rule counts: decimal ids, or the property's string form.
    public func uniqueMember(_ identifier: UniqueIdentifier) -> String? {
        switch identifier {
        case .userID: user?.description
        case .projectID: project?.description
        case .namespaceID: namespace?.description
        case .label, .property, .value: properties[identifier.rawValue]?.description
        }
    }
}
