extension Tracker {
    /// Checks an event against its definition, as GitLab's `EventValidator` does, and keeps only declared properties.
    public func validate(
        _ event: String, user: UserID?, project: ProjectID?, namespace: NamespaceID?,
        properties: [String: PropertyValue]
    ) throws(TrackingError) -> TrackedEvent {
        try validate(
            event, user: user, project: project, namespace: namespace, properties: properties, sendEventRecord: true)
    }

    /// `validate`, with whether the event may become an event record.
    func validate(
        _ event: String, user: UserID?, project: ProjectID?, namespace: NamespaceID?,
        properties: [String: PropertyValue], sendEventRecord: Bool
    ) throws(TrackingError) -> TrackedEvent {
        guard let trackable = catalog.trackableEvent(event) else {
            throw TrackingError(code: .unknownEvent, event: event, message: "Unknown event: \(event)", field: "event")
        }
        if let user { try check(.user, user.rawValue, of: trackable) }
        if let project { try check(.project, project.rawValue, of: trackable) }
        if let namespace { try check(.namespace, namespace.rawValue, of: trackable) }
        var declared: [String: PropertyValue] = [:]
        for (name, value) in properties {
            let isDeclared = trackable.declares(name)
            switch name {
            case "label", "property":
                guard case .string = value else {
                    throw TrackingError(
                        code: .invalidProperty, event: event, message: "\(name) must be a string, got \(value)",
                        field: "additional_properties")
                }
            case "value":
                guard value.isNumber else {
                    throw TrackingError(
                        code: .invalidProperty, event: event, message: "value must be a number, got \"\(value)\"",
                        field: "additional_properties")
                }
            default:
                guard isDeclared else {
                    throw TrackingError(
                        code: .undeclaredProperty, event: event,
                        message: "custom property \(name) is not declared in \(trackable.definition.source.file)",
                        field: "additional_properties")
                }
            }
            // Undeclared base properties are ignored, as GitLab does: they never reach counters or filters.
            if isDeclared { declared[name] = value }
        }
        return TrackedEvent(
            name: event, user: user, project: project, namespace: namespace, properties: declared,
            timestamp: clock.now(), trackable: trackable, sendsEventRecord: sendEventRecord)
    }

    /// An identifier must be declared by the event (when it declares any) and positive.
    private func check(
        _ identifier: EventIdentifier, _ value: Int64, of event: TrackableEvent
    ) throws(TrackingError) {
        if !event.identifiers.isEmpty && !event.identifiers.contains(identifier) {
            let declared = event.identifiers.map(\.rawValue).joined(separator: ", ")
            let action = event.definition.action
            throw TrackingError(
                code: .invalidIdentifier, event: action,
                message: "\(identifier.rawValue) is not an identifier of \(action) (declared: \(declared))",
                field: "\(identifier.rawValue)_id")
        }
        if value <= 0 {
            throw TrackingError(
                code: .invalidIdentifier, event: event.definition.action,
                message: "\(identifier.rawValue) id must be positive, got \(value)", field: "\(identifier.rawValue)_id")
        }
    }
}
