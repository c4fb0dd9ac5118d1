import Foundation
import InternalEvents

/// A Service Ping as a sender posted it, checked and flattened for the warehouse.
struct ReceivedPing: Sendable {
    /// One numeric metric: its dotted path and value.
    struct Metric: Sendable, Equatable {
        var path: String
        var value: Double
        /// GitLab's fallbacks: -1 (failed), -2 (estimate failed), -3 (non-SQL diagnostics).
        var hasFailed: Bool { value == -1 || value == -2 || value == -3 }
    }

    var uuid: String
    var hostname: String?
    var version: String?
    var edition: String?
    var recordedAt: Date
    /// The body as received.
    var payload: String
    var metrics: [Metric]

    /// A problem with a posted ping, naming the field.
    struct Invalid: Error, CustomStringConvertible {
        var field: String
        var message: String
        var description: String { "\(field): \(message)" }
    }

    /// Reads a `POST /usage_data` body: a JSON object with at least `uuid` and `recorded_at` (ISO 8601).
    init(body: Data) throws(Invalid) {
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: body)
        } catch {
            throw Invalid(field: "body", message: "not JSON: \(error)")
        }
        guard case .object = value else { throw Invalid(field: "body", message: "expected a JSON object") }
        guard let uuid = value["uuid"]?.string, !uuid.isEmpty else {
            throw Invalid(field: "uuid", message: "required: the instance's uuid, a string")
        }
        guard let recorded = value["recorded_at"]?.string, let recordedAt = Self.parseTime(recorded) else {
            throw Invalid(field: "recorded_at", message: "required: an ISO 8601 time such as 2025-02-20T10:00:00.000Z")
        }
        func text(_ key: String) throws(Invalid) -> String? {
            switch value[key] {
            case nil, .null?: return nil
            case .string(let text)?: return text
            default: throw Invalid(field: key, message: "expected a string")
            }
        }
        self.uuid = uuid
        hostname = try text("hostname")
        version = try text("version")
        edition = try text("edition")
        self.recordedAt = recordedAt
        payload = String(decoding: body, as: UTF8.self)
        var metrics: [Metric] = []
        Self.flatten(value, path: "", into: &metrics)
        self.metrics = metrics
    }

    /// Numeric leaves, with their dotted paths (booleans, strings and nulls aren't metrics values).
    static func flatten(_ value: JSONValue, path: String, into metrics: inout [Metric]) {
        switch value {
        case .object(let pairs):
            for (key, child) in pairs { flatten(child, path: path.isEmpty ? key : "\(path).\(key)", into: &metrics) }
        case .integer(let number):
            metrics.append(Metric(path: path, value: Double(number)))
        case .double(let number) where number.isFinite:
            metrics.append(Metric(path: path, value: number))
        default:
            break
        }
    }

    /// `2025-02-20T10:00:00.000Z`, with or without fractional seconds or a zone offset; nothing after the zone
    /// (Foundation's parser alone ignores trailing text).
    static func parseTime(_ text: String) -> Date? {
        guard text.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})/) != nil else {
            return nil
        }
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = withFraction.date(from: text) { return date }
        return ISO8601DateFormatter().date(from: text)
    }
}
