import HTTPTypes
import Hummingbird

/// `tally serve`'s callers: bearer tokens from configuration, each either an event token (a backend that posts
/// events and names their users with `user_id`) or an admin token (which may also read the stored Service Ping).
///
/// Tokens are compared in constant time (every byte of every configured token checked, whatever matched), are
/// never logged, and `description` hides them.
public struct AccessTokens: Sendable, CustomStringConvertible {
    private let eventTokens: [[UInt8]]
    private let adminTokens: [[UInt8]]

    /// - Parameters:
    ///   - eventTokens: tokens that may post events.
    ///   - adminTokens: tokens that may also read `service_ping`.
    public init(eventTokens: [String], adminTokens: [String] = []) {
        self.eventTokens = eventTokens.filter { !$0.isEmpty }.map { Array($0.utf8) }
        self.adminTokens = adminTokens.filter { !$0.isEmpty }.map { Array($0.utf8) }
    }

    public var isEmpty: Bool { eventTokens.isEmpty && adminTokens.isEmpty }

    public var description: String {
        "AccessTokens(event: \(eventTokens.count), admin: \(adminTokens.count))"
    }

    /// The caller a request's `Authorization: Bearer …` (or GitLab's `PRIVATE-TOKEN`) header identifies, if any.
    public func caller(for request: Request) -> TallyCaller? {
        guard let token = Self.token(in: request.headers) else { return nil }
        let given = Array(token.utf8)
        let isAdmin = Self.matchesAny(given, adminTokens)
        let isEvent = Self.matchesAny(given, eventTokens)
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

    /// Checks every candidate over the longer of the two lengths, without an early exit, so the time taken says
    /// nothing about which bytes matched (only about the length of the token the caller sent).
    static func matchesAny(_ given: [UInt8], _ candidates: [[UInt8]]) -> Bool {
        var found: UInt8 = 0
        for candidate in candidates {
            var difference: UInt8 = given.count == candidate.count ? 0 : 1
            for index in 0..<max(given.count, candidate.count) {
                let left = index < given.count ? given[index] : 0
                let right = index < candidate.count ? candidate[index] : 0
                difference |= left ^ right
            }
            found |= difference == 0 ? 1 : 0
        }
        return found != 0
    }
}
