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
    /// The catalog entry that validated it (`nil` for an event built by hand): lets a planner of the same catalog
    /// find its rules by number. Not part of equality.
    var trackable: TrackableEvent?

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

    /// An event the tracker validated against `trackable`, built in one step (no field set after: on the tracking
    /// path a later mutation cost a copy of the whole event).
    init(
        name: String, user: UserID?, project: ProjectID?, namespace: NamespaceID?,
        properties: [String: PropertyValue], timestamp: Date, trackable: TrackableEvent, sendsEventRecord: Bool
    ) {
        self.init(
            name: name, user: user, project: project, namespace: namespace, properties: properties,
            timestamp: timestamp, rules: trackable.rules, sendsEventRecord: sendsEventRecord)
        self.trackable = trackable
    }

    public static func == (left: TrackedEvent, right: TrackedEvent) -> Bool {
        left.name == right.name && left.user == right.user && left.project == right.project
            && left.namespace == right.namespace && left.properties == right.properties
            && left.timestamp == right.timestamp && left.rules == right.rules
            && left.sendsEventRecord == right.sendsEventRecord
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(user)
        hasher.combine(project)
        hasher.combine(namespace)
        hasher.combine(properties)
        hasher.combine(timestamp)
        hasher.combine(rules)
        hasher.combine(sendsEventRecord)
    }

    /// The member a unique rule counts: decimal ids, or the property's string form.
    public func uniqueMember(_ identifier: UniqueIdentifier) -> String? {
        switch identifier {
        case .userID: user?.description
        case .projectID: project?.description
        case .namespaceID: namespace?.description
        case .additionalProperty(let name): properties[name]?.description
        }
    }
}
