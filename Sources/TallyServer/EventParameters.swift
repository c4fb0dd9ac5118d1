import InternalEvents

/// One event of a `track_event` or `track_events` request, checked field by field.
struct EventParameters: Sendable {
    var event: String
    var project: ProjectID?
    var namespace: NamespaceID?
    /// `user_id`, only from callers that act for users.
    var user: UserID?
    var additionalProperties: [String: PropertyValue]
    /// `send_to_snowplow`: whether an event record is wanted (default false, as GitLab's API).
    var sendToSnowplow: Bool

    /// Properties never stored, as GitLab's `FIELDS_BLOCKED_FOR_INTERNAL_EVENTS`.
    static let blockedProperties: Set<String> = ["branch_name"]

    /// Reads one event object with `reader`'s encoding and prefix.
    init(_ reader: FieldReader) throws(APIError) {
        event = try reader.requiredString("event")
        project = try reader.optionalID("project_id").map { ProjectID($0) }
        namespace = try reader.optionalID("namespace_id").map { NamespaceID($0) }
        user = try reader.optionalID("user_id").map { UserID($0) }
        additionalProperties = try reader.optionalProperties(
            "additional_properties", dropping: Self.blockedProperties)
        sendToSnowplow = try reader.optionalBool("send_to_snowplow") ?? false
    }
}
