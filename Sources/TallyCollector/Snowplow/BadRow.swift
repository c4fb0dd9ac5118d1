import Foundation

/// An event (or a whole request) the collector could not take, kept with its reason and raw bytes, the way
/// Snowplow keeps failed events: nothing a tracker sent is dropped without a row saying why.
struct BadRow: Sendable, Equatable {
    /// Snowplow's failed-event kinds that a collector meets.
    enum Reason: String, Sendable {
        /// Not readable as the tracker protocol (not JSON, wrong schema, a field of the wrong type).
        case invalidPayload = "tracker_protocol_violation"
        /// Readable, but the event breaks a rule of the protocol (a missing `e`, an unknown platform, …).
        case invalidEvent = "schema_violation"
        /// Over the body or batch limit.
        case sizeViolation = "size_violation"
    }

    /// The collector path the request came to.
    var path: String
    var reason: Reason
    /// What is wrong, naming the field.
    var message: String
    /// The bytes as sent (the event, or the whole body when it couldn't be split), at most `rawLimit` of them.
    var raw: Data
    /// How many bytes were sent (more than `raw` holds when they were cut).
    var rawSize: Int

    /// Bad rows keep at most this many bytes of what was sent.
    static let rawLimit = 64 * 1024

    init(path: String, reason: Reason, message: String, raw: Data, rawSize: Int? = nil) {
        self.path = path
        self.reason = reason
        self.message = message
        self.raw = raw.count > Self.rawLimit ? raw.prefix(Self.rawLimit) : raw
        self.rawSize = rawSize ?? raw.count
    }
}
