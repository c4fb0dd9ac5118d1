import Foundation
import Hummingbird
import InternalEvents
import Logging
import NIOCore
import TallyServer

/// How `tally collect` listens and what it takes.
public struct CollectorConfiguration: Sendable {
    /// Interface to bind: loopback unless told otherwise.
    public var host: String
    /// TCP port (0 picks a free one).
    public var port: Int
    /// Largest accepted ping body; a ping of GitLab's size is about 1 MB.
    public var maximumBodyBytes: Int
    /// Largest accepted tracker body (`tp2`); larger ones get 413 and a bad row.
    public var maximumEventBodyBytes: Int
    /// Most events one `tp2` request may carry; a larger batch is one bad row.
    public var maximumEventsPerRequest: Int
    /// What the metrics dictionary page lists (`--definitions`); empty when none were given.
    public var metricDefinitions: [MetricDefinition]
    /// The dashboards under `/dashboards` (`--dashboards`); the built-in ones by default.
    public var dashboards: DashboardCatalog
    /// The pages' clock: "today" for their date ranges (tests pin it).
    public var now: @Sendable () -> Date

    public init(
        host: String = "127.0.0.1", port: Int = 9090, maximumBodyBytes: Int = 16 * 1024 * 1024,
        maximumEventBodyBytes: Int = 1024 * 1024, maximumEventsPerRequest: Int = 1_000,
        metricDefinitions: [MetricDefinition] = [], dashboards: DashboardCatalog = .builtIn,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.host = host
        self.port = port
        self.maximumBodyBytes = maximumBodyBytes
        self.maximumEventBodyBytes = maximumEventBodyBytes
        self.maximumEventsPerRequest = maximumEventsPerRequest
        self.metricDefinitions = metricDefinitions
        self.dashboards = dashboards
        self.now = now
    }
}

/// The versions-app protocol GitLab instances (and Tally's worker) speak:
///
/// - `POST /usage_data`: a Service Ping; 201 with `{"conv_index": {"usage_data_id": ID}}`, the stored ping's id
///   (the same id again for a ping already stored, so a sender's retry stores nothing twice);
/// - `POST /usage_ping_metadata`: the ping's metadata document; 201;
/// - `POST /usage_ping_errors`: a sender's failure report (`{"error": {…}}`); 201;
/// - `GET /health`: 200 `ok`;
///
/// the Snowplow collector endpoints (`SnowplowRoutes`: `tp2`, `/i`, CORS), and the pages (`WebRoutes`: events,
/// metrics, instances, dashboards, the metrics dictionary).
///
/// A body that isn't what the path takes gets 400 naming the field; a body over the limit 413; a warehouse that
/// can't store gets 503 (senders retry), never a 2xx for data it didn't store. A known path asked with a method it
/// doesn't serve gets 405 with `Allow`.
public func buildCollectorRouter(
    _ configuration: CollectorConfiguration, warehouse: Warehouse,
    logger: Logger = Logger(label: "tally.collect")
) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    let limit = configuration.maximumBodyBytes
    router.get("/health") { _, _ in "ok\n" }
    SnowplowRoutes(configuration: configuration, warehouse: warehouse, logger: logger).add(to: router)
    WebRoutes(
        warehouse: warehouse, dictionary: MetricsDictionary(metrics: configuration.metricDefinitions),
        dashboards: configuration.dashboards, now: configuration.now, logger: logger
    ).add(to: router)
    router.post("/usage_data") { request, _ -> Response in
        try await respond(logger: logger) {
            let ping = try ReceivedPing(body: try await body(of: request, limit: limit))
            let id = try await stored(logger: logger) { try await warehouse.store(ping) }
            logger.info(
                "ping stored",
                metadata: ["id": "\(id)", "uuid": "\(ping.uuid)", "metrics": "\(ping.metrics.count)"])
            return json(.created, .object([("conv_index", .object([("usage_data_id", .integer(id))]))]))
        }
    }
    router.post("/usage_ping_metadata") { request, _ -> Response in
        try await respond(logger: logger) {
            let data = try await body(of: request, limit: limit)
            guard let document = try? JSONDecoder().decode(JSONValue.self, from: data), case .object = document
            else {
                throw ReceivedPing.Invalid(field: "body", message: "expected a JSON object ({\"metadata\": …})")
            }
            let metadata = document["metadata"]
            if let metadata, case .object = metadata {
            } else if metadata != nil {
                throw ReceivedPing.Invalid(field: "metadata", message: "expected an object")
            }
            let uuid = metadata?["uuid"]?.string
            if metadata?["uuid"] != nil && uuid == nil {
                throw ReceivedPing.Invalid(field: "metadata.uuid", message: "expected a string")
            }
            try await stored(logger: logger) {
                try await warehouse.storeMetadata(String(decoding: data, as: UTF8.self), uuid: uuid)
            }
            return json(.created, .object([]))
        }
    }
    router.post("/usage_ping_errors") { request, _ -> Response in
        try await respond(logger: logger) {
            let report = try PingErrorReport(body: try await body(of: request, limit: limit))
            try await stored(logger: logger) { try await warehouse.storeError(report) }
            return json(.created, .object([]))
        }
    }
    router.add(
        middleware: MethodNotAllowedMiddleware(
            routes: router.routes.map { ("\($0.path)", $0.method) }, errorKey: "message"))
    return router
}

/// The collector as one Hummingbird application: what `tally collect` runs and what the tests drive.
/// - Parameter onServerRunning: called with the bound port once the server listens (useful with port 0).
public func buildCollector(
    _ configuration: CollectorConfiguration, warehouse: Warehouse, logger: Logger = Logger(label: "tally.collect"),
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    Application(
        router: buildCollectorRouter(configuration, warehouse: warehouse, logger: logger),
        server: .http1(configuration: .init(idleTimeout: .seconds(60))),
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port), serverName: "tally-collect"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger)
}

/// Why a request got no 2xx.
private struct Refusal: Error {
    var status: HTTPResponse.Status
    var message: String
    var field: String?
}

private func body(of request: Request, limit: Int) async throws -> Data {
    do {
        return Data(buffer: try await request.body.collect(upTo: limit))
    } catch is NIOTooManyBytesError {
        throw Refusal(status: .contentTooLarge, message: "body is larger than \(limit) bytes", field: "body")
    }
}

/// Runs a store; any failure is the warehouse's (503: the sender keeps the data and retries).
@discardableResult
private func stored<Result: Sendable>(
    logger: Logger, _ body: () async throws -> Result
) async throws -> Result {
    do {
        return try await body()
    } catch {
        logger.error("the warehouse could not store a request", metadata: ["error": "\(error)"])
        throw Refusal(status: .serviceUnavailable, message: "the warehouse could not store it; try again later")
    }
}

/// Turns refusals into JSON error answers (`{"message": …, "field": …}`).
private func respond(logger: Logger, _ body: () async throws -> Response) async throws -> Response {
    do {
        return try await body()
    } catch let refusal as Refusal {
        return error(refusal.status, refusal.message, field: refusal.field)
    } catch let invalid as ReceivedPing.Invalid {
        return error(.badRequest, invalid.message, field: invalid.field)
    }
}

private func error(_ status: HTTPResponse.Status, _ message: String, field: String?) -> Response {
    var pairs: [(key: String, value: JSONValue)] = [("message", .string(message))]
    if let field { pairs.append(("field", .string(field))) }
    return json(status, .object(pairs))
}

private func json(_ status: HTTPResponse.Status, _ value: JSONValue) -> Response {
    Response(
        status: status, headers: [.contentType: "application/json"],
        body: .init(byteBuffer: ByteBuffer(string: value.serialized())))
}
