import Foundation
import Hiredis
import InternalEvents

/// The instance's UUID: generated once per install and kept in Redis beside the counters (`SET … NX`), so every
/// worker and every ping of an install reports the same one.
public enum InstanceIdentity {
    /// The Redis key holding the UUID (with the scheme's prefix before it).
    public static let key = "tally:instance:uuid"

    /// The install's UUID, creating it on first use.
    public static func uuid(redis: any RedisClient, prefix: String = "") async throws(RedisError) -> String {
        let key = prefix + Self.key
        let candidate = UUID().uuidString.lowercased()
        let replies = try await redis.pipeline([
            .set(key, candidate, condition: .ifNotExists), .get(key),
        ])
        guard let uuid = try replies[1].checked().optionalString() else {
            throw RedisError(code: .unexpectedReply, message: "\(key) vanished right after it was set")
        }
        return uuid
    }
}
