import AsyncHTTPClient
import Foundation
import Hiredis
import InternalEvents
import Logging
import NIOCore
import NIOFoundationCompat

/// Sends a ping to a collector with GitLab's protocol: `POST {base}/usage_data`, which must answer 2xx with an
/// integer `conv_index.usage_data_id` > 0 (or `dev_ops_score.usage_data_id`); then `POST {base}/usage_ping_metadata`.
/// When anything fails: `POST {base}/usage_ping_errors` with `{error: {time, uuid, hostname, version, message,
/// elapsed}}`, and the error is thrown so the worker retries later.
///
/// Timeouts as GitLab's: 10 s to connect, 20 s to read.
public struct ServicePingSubmitter: Sendable {
    /// Why a submission failed.
    public struct SubmissionError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The collector's base URL, e.g. `https://version.gitlab.com` (no trailing slash needed).
    public let baseURL: String
    private let client: HTTPClient
    private let logger: Logger

    public static let connectTimeout = TimeAmount.seconds(10)
    public static let readTimeout = TimeAmount.seconds(20)

    /// An HTTP client with GitLab's timeouts (10 s connect, 20 s read) unless told otherwise. The caller shuts it down.
    public static func makeClient(
        connectTimeout: TimeAmount = connectTimeout, readTimeout: TimeAmount = readTimeout
    ) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: connectTimeout, read: readTimeout)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Uses `client`, owned by the caller (see `makeClient()`).
    public init(baseURL: String, client: HTTPClient, logger: Logger = Logger(label: "tally.submit")) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.client = client
        self.logger = logger
    }

    /// Submits `report` and its metadata; returns the collector's `usage_data_id`.
    @discardableResult
    public func submit(_ report: ServicePingReport, system: SystemInfo) async throws -> Int64 {
        try await submit(payload: report.payload.serialized(), metadata: report.metadata.serialized(), system: system)
    }

    /// Submits a payload as stored (a retry of an unsent ping); `metadata` is sent when given.
    @discardableResult
    public func submit(payload body: String, metadata: String?, system: SystemInfo) async throws -> Int64 {
        let start = ContinuousClock.now
        do {
            guard body.count > 2 else { throw SubmissionError(description: "Usage data payload is blank") }
            let response = try await post("usage_data", body: body)
            guard (200..<300).contains(response.status) else {
                throw SubmissionError(description: "Unsuccessful response code: \(response.status)")
            }
            let id = Self.usageDataID(in: response.body)
            guard let id, id > 0 else {
                throw SubmissionError(
                    description:
                        "Invalid usage_data_id in response: \(String(decoding: response.body.prefix(200), as: UTF8.self))"
                )
            }
            if let metadata {
                let answer = try await post("usage_ping_metadata", body: metadata)
                if !(200..<300).contains(answer.status) {
                    logger.warning(
                        "the collector refused the ping's metadata", metadata: ["status": "\(answer.status)"])
                }
            }
            return id
        } catch {
            let elapsed = (.now - start).inSeconds
            let document = JSONValue.object([
                (
                    "error",
                    .object([
                        ("time", .timestamp(Date())), ("uuid", .string(system.uuid)),
                        ("hostname", .string(system.hostname)),
                        ("version", .string(system.version)), ("message", .string("\(error)")),
                        ("elapsed", .double((elapsed * 10).rounded() / 10)),
                    ])
                )
            ])
            do {
                _ = try await post("usage_ping_errors", body: document.serialized())
            } catch {
                logger.warning("could not report the submission error either", metadata: ["error": "\(error)"])
            }
            throw error
        }
    }

    private func post(_ path: String, body: String) async throws -> (status: Int, body: Data) {
        var request = HTTPClientRequest(url: "\(baseURL)/\(path)")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await client.execute(
            request, deadline: .now() + Self.connectTimeout + Self.readTimeout, logger: logger)
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), Data(buffer: bytes))
    }

    /// `conv_index.usage_data_id`, else `dev_ops_score.usage_data_id`, when an integer.
    static func usageDataID(in body: Data) -> Int64? {
        struct Response: Decodable {
            struct Section: Decodable {
                var usage_data_id: Int64?
            }
            var conv_index: Section?
            var dev_ops_score: Section?
        }
        guard let response = try? JSONDecoder().decode(Response.self, from: body) else { return nil }
        return response.conv_index?.usage_data_id ?? response.dev_ops_score?.usage_data_id
    }
}
