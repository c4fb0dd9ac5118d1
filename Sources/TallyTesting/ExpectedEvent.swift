import InternalEvents

/// An event a block of app code should track: its name, and the identifiers and properties it must carry.
///
/// Identifiers left `nil` and properties not listed are not checked (GitLab's `trigger_internal_events(…).with(…)`).
public struct ExpectedEvent: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var user: UserID?
    public var project: ProjectID?
    public var namespace: NamespaceID?
    /// Each of these must be present with this value.
    public var additionalProperties: [String: PropertyValue]
    /// How many times it must be tracked: exactly this many, or at least once when `nil`.
    public var times: Int?

    public init(
        _ name: String, user: UserID? = nil, project: ProjectID? = nil, namespace: NamespaceID? = nil,
        additionalProperties: [String: PropertyValue] = [:], times: Int? = nil
    ) {
        self.name = name
        self.user = user
        self.project = project
        self.namespace = namespace
        self.additionalProperties = additionalProperties
        self.times = times
    }

    /// The same, spelled as in a list of expectations: `.event("create_note", user: 42)`.
    public static func event(
        _ name: String, user: UserID? = nil, project: ProjectID? = nil, namespace: NamespaceID? = nil,
        additionalProperties: [String: PropertyValue] = [:], times: Int? = nil
    ) -> ExpectedEvent {
        ExpectedEvent(
            name, user: user, project: project, namespace: namespace, additionalProperties: additionalProperties,
            times: times)
    }

    /// Whether a tracked event is one of these.
    public func matches(_ event: TrackedEvent) -> Bool {
        guard event.name == name else { return false }
        if let user, event.user != user { return false }
        if let project, event.project != project { return false }
        if let namespace, event.namespace != namespace { return false }
        return additionalProperties.allSatisfy { event.properties[$0.key] == $0.value }
    }

    public var description: String {
        var parts = [name]
        if let user { parts.append("user: \(user)") }
        if let project { parts.append("project: \(project)") }
        if let namespace { parts.append("namespace: \(namespace)") }
        for (key, value) in additionalProperties.sorted(by: { $0.key < $1.key }) { parts.append("\(key): \(value)") }
        if let times { parts.append("\(times) time\(times == 1 ? "" : "s")") }
        return parts.joined(separator: ", ")
    }
}
