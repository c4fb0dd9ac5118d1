import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// `tally serve`'s callers: bearer tokens from configuration, each either an event token (a backend that posts
/// events and names their users with `user_id`) or an admin token (which may also read the stored Service Ping).
///
/// Tokens are compared in constant time (SHA-256 digests, every configured token checked), are never logged, and
/// `description` hides them.
public struct AccessTokens: Sendable, CustomStringConvertible {
    private let eventDigests: [SHA256Digest]
    private let adminDigests: [SHA256Digest]

    /// - Parameters:
    ///   - eventTokens: tokens that may post events.
    ///   - adminTokens: tokens that may also read `service_ping`.
    public init(eventTokens: [String], adminTokens: [String] = []) {
        eventDigests = eventTokens.filter { !$0.isEmpty }.map { SHA256.hash(data: Data($0.utf8)) }
        adminDigests = adminTokens.filter { !$0.isEmpty }.map { SHA256.hash(data: Data($0.utf8)) }
    }

    public var isEmpty: Bool { eventDigests.isEmpty && adminDigests.isEmpty }

    public var description: String {
        "AccessTokens(event: \(eventDigests.count), admin: \(adminDigests.count))"
    }

    /// The caller a request's `Authorization: Bearer …` (or GitLab's `PRIVATE-TOKEN`) header identifies, if any.
    public func caller(for request: Request) -> TallyCaller? {
        guard let token = Self.token(in: request.headers) else { return nil }
        let digest = SHA256.hash(data: Data(token.utf8))
        let isAdmin = Self.matchesAny(digest, adminDigests)
        let isEvent = Self.matchesAny(digest, eventDigests)
        guard isAdmin || isEvent else { return nil }
        return TallyCaller(user: nil, isAdmin: isAdmin, actsForUsers: true)
    }

    static func token(in headers: HTTPFields) -> String? {
        if let authorization = headers[.authorization] {
            // `Bearer <token>`, the scheme case-insensitive (RFC 9110), without Foundation's slower trimming.
            let bytes = authorization.utf8
            guard bytes.count > 7, bytes.prefix(6).map({ $0 | 0x20 }).elementsEqual("bearer".utf8),
                bytes.dropFirst(6).first == UInt8(ascii: " ")
            else { return nil }
            let token = bytes.dropFirst(7).drop { $0 == UInt8(ascii: " ") }
            return String(decoding: token.reversed().drop { $0 == UInt8(ascii: " ") }.reversed(), as: UTF8.self)
        }
        if let name = HTTPField.Name("PRIVATE-TOKEN"), let token = headers[name] { return token }
        return nil
    }

    /// Checks every digest, without an early exit, so the time taken says nothing about which bytes matched.
    private static func matchesAny(_ digest: SHA256Digest, _ candidates: [SHA256Digest]) -> Bool {
        var found: UInt8 = 0
        let given = Array(digest)
        for candidate in candidates {
            var difference: UInt8 = 0
            for (left, right) in zip(given, candidate) { difference |= left ^ right }
            found |= difference == 0 ? 1 : 0
        }
        return found != 0
    }
}
