import Foundation
import InternalEvents
import TallyServer

/// What a Snowplow tracker sent in one request, split into the events' field maps and what couldn't be read.
///
/// - `POST /com.snowplowanalytics.snowplow/tp2`: a self-describing `payload_data` document (1-0-0 … 1-0-4) whose
///   `data` array holds one object of string fields per event;
/// - `GET /i`: one event as the query string (tracker protocol 1).
///
/// A body that can't be read at all becomes one bad row holding the whole body; an event inside a readable batch
/// that isn't an object of strings becomes a bad row of its own, and the batch's other events go on.
struct TrackerPayload: Sendable {
    /// One event's fields as the tracker sent them, and its bytes for a bad row.
    struct Fields: Sendable {
        var values: [String: String]
        /// The bytes as sent, when they aren't the fields as a JSON object (a tp1 query string).
        var sent: Data?

        /// What a bad row of this event keeps: the bytes as sent, or the fields as JSON (keys sorted).
        var raw: Data {
            sent
                ?? Data(
                    JSONValue.object(values.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })
                        .serialized().utf8)
        }
    }

    var events: [Fields] = []
    var badRows: [BadRow] = []

    static let payloadSchemaPrefix = "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-"

    /// Reads a tp2 body; at most `maximumEvents` events are taken from one request.
    init(tp2 body: [UInt8], maximumEvents: Int, path: String) {
        let document: JSONValue
        do {
            document = try JSONReader.parse(body)
        } catch {
            badRows = [
                BadRow(path: path, reason: .invalidPayload, message: "the body is not JSON (\(error))", raw: Data(body))
            ]
            return
        }
        guard case .string(let schema)? = document["schema"], schema.hasPrefix(Self.payloadSchemaPrefix) else {
            let given = document["schema"]?.serialized() ?? "none"
            badRows = [
                BadRow(
                    path: path, reason: .invalidPayload,
                    message: "schema: expected \(Self.payloadSchemaPrefix)x (payload_data), got \(given)",
                    raw: Data(body))
            ]
            return
        }
        guard case .array(let entries)? = document["data"] else {
            badRows = [
                BadRow(
                    path: path, reason: .invalidPayload, message: "data: expected an array of events", raw: Data(body))
            ]
            return
        }
        guard !entries.isEmpty else {
            badRows = [
                BadRow(path: path, reason: .invalidPayload, message: "data: the batch is empty", raw: Data(body))
            ]
            return
        }
        guard entries.count <= maximumEvents else {
            badRows = [
                BadRow(
                    path: path, reason: .sizeViolation,
                    message: "data: \(entries.count) events in one request; at most \(maximumEvents) are taken",
                    raw: Data(body))
            ]
            return
        }
        events.reserveCapacity(entries.count)
        for (index, entry) in entries.enumerated() {
            guard case .object(let pairs) = entry else {
                badRows.append(
                    BadRow(
                        path: path, reason: .invalidPayload, message: "data[\(index)]: not an object",
                        raw: Data(entry.serialized().utf8)))
                continue
            }
            var values: [String: String] = [:]
            values.reserveCapacity(pairs.count)
            var problem: String?
            for (key, value) in pairs {
                guard case .string(let text) = value else {
                    problem = "data[\(index)].\(key): expected a string, as the tracker protocol sends every field"
                    break
                }
                values[key] = text
            }
            if let problem {
                badRows.append(
                    BadRow(
                        path: path, reason: .invalidPayload, message: problem, raw: Data(entry.serialized().utf8)))
            } else {
                events.append(Fields(values: values))
            }
        }
    }

    /// Reads a tp1 query string (`GET /i?e=se&…`).
    init(tp1 query: String, path: String) {
        let raw = Data(query.utf8)
        guard !query.isEmpty else {
            badRows = [BadRow(path: path, reason: .invalidPayload, message: "the query string is empty", raw: raw)]
            return
        }
        var values: [String: String] = [:]
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = Self.formDecoded(parts[0]), let value = Self.formDecoded(parts.count > 1 ? parts[1] : "")
            else {
                badRows = [
                    BadRow(
                        path: path, reason: .invalidPayload,
                        message: "query: \(pair.prefix(40)) is not valid percent-encoding", raw: raw)
                ]
                return
            }
            values[key] = value
        }
        events = [Fields(values: values, sent: raw)]
    }

    /// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte, the bytes UTF-8.
    static func formDecoded(_ text: Substring) -> String? {
        String(text.replacingOccurrences(of: "+", with: " ")).removingPercentEncoding
    }
}
