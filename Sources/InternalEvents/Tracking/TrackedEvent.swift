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

    public init(
        name: String, user: UserID? = nil, project: ProjectID? = nil, namespace: NamespaceID? = nil,
        properties: [String: PropertyValue] = [:], timestamp: Date, rules: [EventSelectionRule]
    ) {
        self.name = name
        self.user = user
        self.project = project
        self.namespace = namespace
        self.properties = properties
        self.timestamp = timestamp
        self.rules = rules
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
