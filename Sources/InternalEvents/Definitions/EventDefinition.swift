/// One event definition file (`events/*.yml`).
public struct EventDefinition: Sendable, Hashable, Codable {
    /// The event name (`action`), unique among internal events.
    public var action: String
    public var description: String
    /// Legacy Snowplow category; internal events usually have none.
    public var category: String?
    /// `internal_events: true`: the event is tracked through Tally's counters.
    public var isInternalEvent: Bool
    /// Identifiers the event may be tracked with.
    public var identifiers: [EventIdentifier]
    /// Declared additional properties (`label`, `property`, `value`, custom ones), name → description.
    public var additionalProperties: [String: String]
    public var productGroup: String?
    public var productCategories: [String]
    public var milestone: String?
    public var introducedByURL: String?
    public var tiers: [Tier]
    /// `active` or `removed` when given.
    public var status: String?
    /// `duo` for GitLab Duo (AI) events, whose event records carry the `ai_context` context; `nil` otherwise.
    public var classification: String?
    /// Where the definition was read from.
    public var source: SourceLocation

    /// Whether `name` is a declared additional property.
    public func declares(_ name: String) -> Bool { additionalProperties[name] != nil }

    /// The custom (not `label`/`property`/`value`) additional properties.
    public var customProperties: [String] {
        additionalProperties.keys.filter { !["label", "property", "value"].contains($0) }.sorted()
    }
}
