import InternalEvents

/// GitLab's `ai_context` 1-0-0 (`Gitlab::Tracking::AiContext`): the context an event record carries when its
/// definition has `classification: duo`, with the AI session, workflow, agent, model and token fields.
///
/// Every field is always present, `null` when the event has no custom property of that name, as GitLab's context
/// lists them all; a field's value is the event's custom property of the same name, as tracked.
public enum AIContext {
    public static let schema = "iglu:com.gitlab/ai_context/jsonschema/1-0-0"

    /// The fields of 1-0-0, in GitLab's order.
    public static let fields = [
        "session_id", "workflow_id", "flow_type", "agent_name", "agent_type", "input_tokens", "output_tokens",
        "total_tokens", "ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens", "cache_read", "model_engine",
        "model_name", "model_provider", "flow_version", "flow_registry_version",
    ]

    /// Whether a definition's events carry this context.
    public static func applies(to definition: EventDefinition?) -> Bool {
        definition?.classification == "duo"
    }

    /// The context's data for `event`.
    static func data(for event: TrackedEvent) -> JSONValue {
        .object(fields.map { ($0, event.properties[$0].map(SnowplowEventRecord.json) ?? .null) })
    }
}
