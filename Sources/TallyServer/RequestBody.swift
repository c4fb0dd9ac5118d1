import Foundation
import Hummingbird
import InternalEvents
import NIOCore

/// How a request body was written, which decides how its text values are read.
enum BodyEncoding {
    /// `application/json` (or any other content type): values keep their JSON types.
    case json
    /// `application/x-www-form-urlencoded`: every value is text, coerced as Grape coerces the declared types.
    case form
}

/// A request's body (a JSON object, or a form read with Rack's rules), read within the size limit, with typed field
/// readers whose errors name the field.
struct RequestBody {
    let object: [(key: String, value: JSONValue)]
    let encoding: BodyEncoding

    /// The readers of the body's top-level fields.
    var reader: FieldReader { FieldReader(fields: object, prefix: "", encoding: encoding) }

    /// Reads the whole body (413 past `limit` bytes). A form body (`Content-Type:
    /// application/x-www-form-urlencoded`) is parsed by `FormBody`; anything else as a JSON object (400
    /// otherwise), `fast` being the typed decoding tried first (see `FastBody`).
    static func read(
        _ request: Request, limit: Int, fast: (some FastBody).Type
    ) async throws(APIError)
        -> RequestBody
    {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "body is larger than \(limit) bytes", field: "body")
        } catch {
            throw APIError(.badRequest, "body could not be read: \(error)", field: "body")
        }
        if isForm(request.headers[.contentType]) {
            return RequestBody(object: try FormBody.parse(buffer.readableBytesView), encoding: .form)
        }
        if buffer.readableBytes == 0 { return RequestBody(object: [], encoding: .json) }
        let data = Data(buffer.readableBytesView)
        if let typed = try? JSONDecoder().decode(fast, from: data) {
            return RequestBody(object: typed.fields, encoding: .json)
        }
        let parsed: JSONValue
        do {
            parsed = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw APIError(.badRequest, "body is not valid JSON (\(Self.reason(error)))", field: "body")
        }
        guard case .object(let object) = parsed else {
            throw APIError(.badRequest, "body must be a JSON object", field: "body")
        }
        return RequestBody(object: object, encoding: .json)
    }

    /// Whether a `Content-Type` names a form (`application/x-www-form-urlencoded`, any parameters, any case).
    static func isForm(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let mediaType = contentType.prefix { $0 != ";" }.trimmingCharacters(in: .whitespaces)
        return mediaType.lowercased() == "application/x-www-form-urlencoded"
    }

    /// A short reason from a decoding error, without Swift type names.
    private static func reason(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            let underlying = (context.underlyingError as? NSError)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return underlying ?? context.debugDescription
        }
        return "unreadable"
    }

    subscript(_ field: String) -> JSONValue? {
        object.first { $0.key == field }?.value
    }
}
