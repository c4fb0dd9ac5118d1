import InternalEvents

/// Typed decodings of the usual, valid event bodies: the fast path. `JSONDecoder` fills these without the thrown
/// type probes that decoding into a generic `JSONValue` needs; a body they can't take (a wrong type anywhere) goes the
/// generic way, whose checks name the field. Both paths feed the same `FieldReader` checks.
protocol FastBody: Decodable {
    /// The body's fields as the generic path would have read them.
    var fields: [(key: String, value: JSONValue)] { get }
}

/// One event object: `track_event`'s body, or an element of `track_events`.
struct EventBody: FastBody {
    var event: String?
    var project_id: LenientID?
    var namespace_id: LenientID?
    var user_id: LenientID?
    var additional_properties: [String: ScalarValue?]?
    var send_to_snowplow: Bool?

    var fields: [(key: String, value: JSONValue)] {
        var fields: [(key: String, value: JSONValue)] = []
        if let event { fields.append(("event", .string(event))) }
        if let project_id { fields.append(("project_id", project_id.json)) }
        if let namespace_id { fields.append(("namespace_id", namespace_id.json)) }
        if let user_id { fields.append(("user_id", user_id.json)) }
        if let additional_properties {
            fields.append(
                (
                    "additional_properties",
                    .object(additional_properties.map { ($0.key, $0.value?.json ?? .null) })
                ))
        }
        if let send_to_snowplow { fields.append(("send_to_snowplow", .bool(send_to_snowplow))) }
        return fields
    }
}

/// `track_events`' body.
struct EventsBody: FastBody {
    var events: [EventBody]?

    var fields: [(key: String, value: JSONValue)] {
        guard let events else { return [] }
        return [("events", .array(events.map { .object($0.fields) }))]
    }
}

/// An id written as a JSON integer (usual) or a string.
enum LenientID: Decodable {
    case integer(Int64)
    case string(String)

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let integer = try? container.decode(Int64.self) {
            self = .integer(integer)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    var json: JSONValue {
        switch self {
        case .integer(let value): .integer(value)
        case .string(let value): .string(value)
        }
    }
}

/// An additional property's value: a string (usual), an integer, a number, or a boolean (decoded only so that
/// `FieldReader.optionalProperties` refuses it by name, as the generic path does).
enum ScalarValue: Decodable {
    case string(String)
    case integer(Int64)
    case double(Double)
    case bool(Bool)

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let integer = try? container.decode(Int64.self) {
            self = .integer(integer)
        } else if let number = try? container.decode(Double.self) {
            self = .double(number)
        } else {
            self = .bool(try container.decode(Bool.self))
        }
    }

    var json: JSONValue {
        switch self {
        case .string(let value): .string(value)
        case .integer(let value): .integer(value)
        case .double(let value): .double(value)
        case .bool(let value): .bool(value)
        }
    }
}

/// `increment_counter` and `increment_unique_users`.
struct LegacyEventBody: FastBody {
    var event: String?
    var user_id: LenientID?

    var fields: [(key: String, value: JSONValue)] {
        var fields: [(key: String, value: JSONValue)] = []
        if let event { fields.append(("event", .string(event))) }
        if let user_id { fields.append(("user_id", user_id.json)) }
        return fields
    }
}
