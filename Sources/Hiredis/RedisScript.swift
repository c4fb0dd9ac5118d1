/// A Lua script that is sent whole once, then by its SHA-1 (`EVALSHA`).
///
/// The SHA-1 is not computed here: it is learned from the server (`SCRIPT LOAD`'s reply) the first time the script
/// runs through `RedisConnection.evaluate` or `RedisConnectionPool.evaluate`, and shared by every copy of the value.
/// A server that lost its script cache (a restart, `SCRIPT FLUSH`, a failover to a replica that never saw it)
/// answers `-NOSCRIPT`; `evaluate` then sends the script whole again. Keep one value per script (a `static let`),
/// so it is learned once per process.
///
/// **Thread safety:** `Sendable`; the learned SHA-1 sits behind a lock. Two values are equal when their sources are.
public struct RedisScript: Sendable, Hashable, CustomStringConvertible {
    /// The Lua source, sent as `EVAL`'s and `SCRIPT LOAD`'s argument.
    public let source: String
    /// The SHA-1 once a server told it; shared by copies of the value.
    private let learned: LockedValueBox<String?>

    /// A script that has not run yet.
    public init(_ source: String) {
        self.source = source
        self.learned = LockedValueBox(nil)
    }

    /// The script's SHA-1 (40 hex digits) as a server reported it, or `nil` before the first `evaluate`.
    public var sha1: String? { learned.withLockedValue { $0 } }

    /// `EVAL` of the whole script, for a pipeline or a transaction (where `evaluate`'s fallback can't be used).
    public func eval(
        keys: [any RedisArgumentConvertible] = [], arguments: [any RedisArgumentConvertible] = []
    ) -> RedisCommand {
        .eval(source, keys: keys, arguments: arguments)
    }

    func learn(_ sha1: String) {
        learned.withLockedValue { $0 = sha1 }
    }

    public static func == (left: RedisScript, right: RedisScript) -> Bool { left.source == right.source }

    public func hash(into hasher: inout Hasher) { hasher.combine(source) }

    /// The first line of the source.
    public var description: String {
        "RedisScript(\(source.prefix { $0 != "\n" }.prefix(60)))"
    }
}
