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
    /// otherwise) by `JSONReader`, keys in the order sent.
    static func read(_ request: Request, limit: Int) async throws(APIError) -> RequestBody {
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
        let parsed: JSONValue
        do {
            parsed = try JSONReader.parse(Array(buffer.readableBytesView))
        } catch {
            throw APIError(.badRequest, "body is not valid JSON (\(error))", field: "body")
        }
        guard case .object(let object) = parsed else {
            throw APIError(.badRequest, "body must be a JSON object", field: "body")
        }
        return RequestBody(object: object, encoding: .json)
    }

    /// Whether a `Content-Type` names a form (`application/x-www-form-urlencoded`, any parameters, any case).
    static func isForm(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        // Compared byte by byte: Foundation's trimming bridged the header to `NSString` on every request (4 % of
        // `tally bench serve`).
        var mediaType = contentType.utf8.prefix { $0 != UInt8(ascii: ";") }
        while let first = mediaType.first, first == 0x20 || first == 0x09 { mediaType = mediaType.dropFirst() }
        while let last = mediaType.last, last == 0x20 || last == 0x09 { mediaType = mediaType.dropLast() }
        return mediaType.elementsEqual("application/x-www-form-urlencoded".utf8) { sent, form in
            (sent >= UInt8(ascii: "A") && sent <= UInt8(ascii: "Z") ? sent + 32 : sent) == form
        }
    }

    subscript(_ field: String) -> JSONValue? {
        object.first { $0.key == field }?.value
    }
}
