import Foundation
import HTTPTypes
import Hummingbird
import InternalEvents
import NIOCore

/// An API error answered as JSON: `{"error": "...", "field": "..."}` (400, 413, 422, 503), or GitLab's
/// `{"message": "401 Unauthorized"}` shape for 401 and 403.
public struct APIError: HTTPResponseError, Sendable, Hashable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var message: String
    /// The request field the error is about (`event`, `events[3].project_id`, `body`, …).
    public var field: String?

    public init(_ status: HTTPResponse.Status, _ message: String, field: String? = nil) {
        self.status = status
        self.message = message
        self.field = field
    }

    public static let unauthorized = APIError(.unauthorized, "401 Unauthorized")
    public static let forbidden = APIError(.forbidden, "403 Forbidden")

    /// 400 for a field of the wrong shape.
    static func invalid(_ field: String, _ problem: String) -> APIError {
        APIError(.badRequest, "\(field) is invalid: \(problem)", field: field)
    }

    /// 400 for a required field that is absent.
    static func missing(_ field: String) -> APIError {
        APIError(.badRequest, "\(field) is missing", field: field)
    }

    public var description: String { "\(status.code) \(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body: JSONValue =
            if status == .unauthorized || status == .forbidden {
                .object([("message", .string(message))])
            } else {
                .object([("error", .string(message))] + (field.map { [("field", .string($0))] } ?? []))
            }
        return Response.json(body, status: status)
    }
}

extension Response {
    /// A JSON response.
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        json(text: value.serialized(), status: status)
    }

    /// A response whose body is JSON text already.
    static func json(text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
