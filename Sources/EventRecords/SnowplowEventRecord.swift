import Foundation
import InternalEvents

/// A tracked event as a Snowplow structured event (tracker protocol, `payload_data` 1-0-4), the way GitLab sends
/// internal events in SaaS mode: `e=se`, category/action/label/property/value, and a base64url `cx` holding the
/// `gitlab_standard` 1-1-7 context (pseudonymized `user_id`, ids, custom properties in `extra`, instance facts),
/// the `gitlab_service_ping` 1-0-1 context (`data_source` and `event_name`), and for events whose definition has
/// `classification: duo` the `ai_context` 1-0-0 context (`AIContext`). No raw user id is ever put into a record.
public struct SnowplowEventRecord: Sendable, Hashable {
    /// Instance facts every record carries.
    public struct Instance: Sendable, Hashable {
        /// Snowplow app id (`aid`).
        public var appID: String
        /// `production`, `staging`, `self-managed`, `development`, …
        public var environment: String
        public var instanceID: String
        public var hostName: String
        public var instanceVersion: String
        /// Structured-event category when the caller gives none (GitLab: `InternalEventTracking`).
        public var defaultCategory: String

        public init(
            appID: String, environment: String, instanceID: String, hostName: String, instanceVersion: String,
            defaultCategory: String = "InternalEventTracking"
        ) {
            self.appID = appID
            self.environment = environment
            self.instanceID = instanceID
            self.hostName = hostName
            self.instanceVersion = instanceVersion
            self.defaultCategory = defaultCategory
        }
    }

    public static let payloadSchema = "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4"
    public static let contextsSchema = "iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0"
    public static let standardContextSchema = "iglu:com.gitlab/gitlab_standard/jsonschema/1-1-7"
    public static let servicePingContextSchema = "iglu:com.gitlab/gitlab_service_ping/jsonschema/1-0-1"
    public static let trackerVersion = "tally-swift-\(TallyVersion.current)"

    /// The protocol's fields, all strings (the `stm` sent time is added when the record is sent).
    public var fields: [String: String]

    /// Builds the record of `event`; `definition` (the event's, from the catalog) decides whether it carries the
    /// `ai_context` context (`classification: duo`).
    public init(
        _ event: TrackedEvent, instance: Instance, pseudonymizer: Pseudonymizer, category: String? = nil,
        definition: EventDefinition? = nil, eventID: UUID = UUID()
    ) {
        var fields: [String: String] = [
            "e": "se", "se_ca": category ?? instance.defaultCategory, "se_ac": event.name,
            "eid": eventID.uuidString.lowercased(),
            "dtm": String(Int64((event.timestamp.timeIntervalSince1970 * 1_000).rounded())),
            "tv": Self.trackerVersion, "tna": "gl", "aid": instance.appID, "p": "srv",
        ]
        if case .string(let label) = event.properties["label"] { fields["se_la"] = label }
        if case .string(let property) = event.properties["property"] { fields["se_pr"] = property }
        if let value = event.properties["value"], value.isNumber { fields["se_va"] = value.description }
        let custom = event.properties.filter { !["label", "property", "value"].contains($0.key) }.sorted {
            $0.key < $1.key
        }
        let standard: JSONValue = .object([
            ("environment", .string(instance.environment)), ("source", .string("tally")),
            ("plan", .string("free")),
            ("extra", .object(custom.map { ($0.key, Self.json($0.value)) })),
            ("user_id", event.user.map { .string(pseudonymizer.pseudonym(for: $0)) } ?? .null),
            ("namespace_id", event.namespace.map { .integer($0.rawValue) } ?? .null),
            ("project_id", event.project.map { .integer($0.rawValue) } ?? .null),
            ("realm", .string("self-managed")), ("deployment_type", .string("self-managed")),
            ("instance_id", .string(instance.instanceID)), ("host_name", .string(instance.hostName)),
            ("instance_version", .string(instance.instanceVersion)),
            ("context_generated_at", .timestamp(event.timestamp)),
        ])
        // 1-0-1 names the event for every data source (1-0-0 had `key_path` instead for `redis`).
        let servicePing: JSONValue = .object([
            ("data_source", .string("redis_hll")), ("event_name", .string(event.name)),
        ])
        var entries: [JSONValue] = [
            Self.selfDescribing(Self.standardContextSchema, standard),
            Self.selfDescribing(Self.servicePingContextSchema, servicePing),
        ]
        if AIContext.applies(to: definition) {
            entries.append(Self.selfDescribing(AIContext.schema, AIContext.data(for: event)))
        }
        let contexts: JSONValue = .object([("schema", .string(Self.contextsSchema)), ("data", .array(entries))])
        fields["cx"] = Self.base64URL(Data(contexts.serialized().utf8))
        self.fields = fields
    }

    /// The `payload_data` envelope of records, sent at `sentAt` (`stm`).
    public static func envelope(_ records: [SnowplowEventRecord], sentAt: Date) -> JSONValue {
        let sent = String(Int64((sentAt.timeIntervalSince1970 * 1_000).rounded()))
        return .object([
            ("schema", .string(payloadSchema)),
            (
                "data",
                .array(
                    records.map { record in
                        var fields = record.fields
                        fields["stm"] = sent
                        return .object(fields.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })
                    })
            ),
        ])
    }

    /// A self-describing JSON: `{"schema": …, "data": …}`.
    static func selfDescribing(_ schema: String, _ data: JSONValue) -> JSONValue {
        .object([("schema", .string(schema)), ("data", data)])
    }

    static func json(_ value: PropertyValue) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        case .integer(let number): .integer(number)
        case .double(let number): .double(number)
        }
    }

    /// Base64url without padding, as the tracker protocol encodes `cx`.
    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
