import Foundation
import HTTPTypes
import Hummingbird
import InternalEvents
import Logging
import NIOCore

/// The Snowplow collector endpoints trackers send to:
///
/// - `POST /com.snowplowanalytics.snowplow/tp2`: a `payload_data` batch; 200 with
///   `{"stored": N, "duplicates": N, "bad_rows": N}` once every good event is durably stored;
/// - `GET /i`: one tp1 event in the query string; a 1×1 GIF that no cache keeps;
/// - `OPTIONS` on both: CORS for browser trackers (the `Origin` echoed, credentials allowed).
///
/// What can't be taken becomes a bad row (reason and raw bytes), never a 5xx: a body over the limit gets 413 and a
/// bad row of its first bytes. The only 5xx is 503, when the warehouse can't store; then nothing of the request was
/// stored and the sender should retry. Events carry their `eid`, so a retry stores nothing twice.
struct SnowplowRoutes: Sendable {
    static let tp2Path = "/com.snowplowanalytics.snowplow/tp2"
    static let pixelPath = "/i"

    let configuration: CollectorConfiguration
    let warehouse: Warehouse
    let logger: Logger

    func add(to router: Router<BasicRequestContext>) {
        router.post(RouterPath(Self.tp2Path)) { request, _ -> Response in
            await tp2(request)
        }
        router.get(RouterPath(Self.pixelPath)) { request, _ -> Response in
            await pixel(request)
        }
        for path in [Self.tp2Path, Self.pixelPath] {
            router.on(RouterPath(path), method: .options) { request, _ -> Response in
                Response(status: .ok, headers: Self.cors(for: request, preflight: true))
            }
        }
    }

    func tp2(_ request: Request) async -> Response {
        let headers = Self.cors(for: request, preflight: false)
        let body: [UInt8]
        do {
            body = try await Self.collectBody(of: request, limit: configuration.maximumEventBodyBytes)
        } catch let oversized as OversizedBody {
            let badRow = BadRow(
                path: Self.tp2Path, reason: .sizeViolation,
                message: "body: larger than \(configuration.maximumEventBodyBytes) bytes", raw: oversized.start,
                rawSize: oversized.bytesRead)
            guard (try? await warehouse.collect(EventBatch(events: [], badRows: [badRow]))) != nil else {
                return unavailable(headers)
            }
            return json(.contentTooLarge, headers, ["message": .string(badRow.message), "field": .string("body")])
        } catch {
            return json(.badRequest, headers, ["message": .string("the body could not be read: \(error)")])
        }
        let payload = TrackerPayload(
            tp2: body, maximumEvents: configuration.maximumEventsPerRequest, path: Self.tp2Path)
        guard let outcome = await collect(payload, request: request) else { return unavailable(headers) }
        return json(
            .ok, headers,
            [
                "stored": .integer(Int64(outcome.stored)), "duplicates": .integer(Int64(outcome.duplicates)),
                "bad_rows": .integer(Int64(outcome.badRows)),
            ])
    }

    func pixel(_ request: Request) async -> Response {
        var headers = Self.cors(for: request, preflight: false)
        let payload = TrackerPayload(tp1: request.uri.query ?? "", path: Self.pixelPath)
        guard await collect(payload, request: request) != nil else { return unavailable(headers) }
        headers[.contentType] = "image/gif"
        headers[.cacheControl] = "no-cache, no-store, must-revalidate"
        headers[HTTPField.Name("Pragma")!] = "no-cache"
        headers[.expires] = "0"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: Self.transparentGIF)))
    }

    /// Checks the payload's events and stores them with its bad rows; nil when the warehouse can't.
    func collect(_ payload: TrackerPayload, request: Request) async -> CollectOutcome? {
        do {
            let pseudonymizer = try await warehouse.uidPseudonymizer()
            let now = Date()
            let userAgent = request.headers[.userAgent]
            var batch = EventBatch(events: [], badRows: payload.badRows)
            for fields in payload.events {
                do {
                    batch.events.append(
                        try CollectedEvent(
                            fields.values, collectedAt: now, pseudonymize: pseudonymizer.pseudonym(for:),
                            userAgent: userAgent))
                } catch {
                    batch.badRows.append(
                        BadRow(path: request.uri.path, reason: .invalidEvent, message: error.message, raw: fields.raw))
                }
            }
            let outcome = try await warehouse.collect(batch)
            if outcome.badRows > 0 {
                logger.notice(
                    "events refused as bad rows",
                    metadata: [
                        "bad_rows": "\(outcome.badRows)", "first": "\(batch.badRows.first?.message ?? "")",
                    ])
            }
            return outcome
        } catch {
            logger.error("the warehouse could not store events", metadata: ["error": "\(error)"])
            return nil
        }
    }

    func unavailable(_ headers: HTTPFields) -> Response {
        json(.serviceUnavailable, headers, ["message": .string("the warehouse could not store it; try again later")])
    }

    func json(
        _ status: HTTPResponse.Status, _ headers: HTTPFields, _ fields: KeyValuePairs<String, JSONValue>
    )
        -> Response
    {
        var headers = headers
        headers[.contentType] = "application/json"
        let body = JSONValue.object(fields.map { ($0.key, $0.value) }).serialized()
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// CORS for browser trackers: the request's `Origin` echoed with credentials allowed (trackers send cookies),
    /// or `*` without one.
    static func cors(for request: Request, preflight: Bool) -> HTTPFields {
        var headers = HTTPFields()
        if let origin = request.headers[.origin], !origin.isEmpty {
            headers[.accessControlAllowOrigin] = origin
            headers[.accessControlAllowCredentials] = "true"
            headers[.vary] = "Origin"
        } else {
            headers[.accessControlAllowOrigin] = "*"
        }
        if preflight {
            headers[.accessControlAllowMethods] = "POST, GET, OPTIONS"
            headers[.accessControlAllowHeaders] =
                request.headers[.accessControlRequestHeaders] ?? "Content-Type, SP-Anonymous"
            headers[.accessControlMaxAge] = "3600"
        }
        return headers
    }

    /// A body over the limit: its first bytes and how many were read before giving up.
    struct OversizedBody: Error {
        var start: Data
        var bytesRead: Int
    }

    /// The body, or `OversizedBody` once more than `limit` bytes arrived.
    static func collectBody(of request: Request, limit: Int) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await buffer in request.body {
            if bytes.count + buffer.readableBytes > limit {
                let start = bytes.prefix(BadRow.rawLimit)
                throw OversizedBody(start: Data(start), bytesRead: bytes.count + buffer.readableBytes)
            }
            bytes.append(contentsOf: buffer.readableBytesView)
        }
        return bytes
    }

    /// A 1×1 transparent GIF (43 bytes), what pixel trackers expect back.
    static let transparentGIF: [UInt8] = Array(
        Data(base64Encoded: "R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==")!)
}
