import Dispatch
import Hiredis

/// One `RedisConnection` for async tests, used on a serial `DispatchQueue` of its own, so its blocking reads and
/// writes never park a thread of the cooperative pool (a test of `RedisConnection` itself needs that one connection;
/// other tests use `RedisConnectionPool`).
///
/// `@unchecked Sendable` is safe: `connection` (not `Sendable`) is only set and read in blocks on `queue`, which runs
/// them one at a time, and nothing else keeps a reference to it. The wrapper itself is made by the caller, not on
/// the queue: no field but `connection` is written on the queue's thread (ThreadSanitizer reported the fields of a
/// wrapper made there and read by the awaiting task).
public final class AsyncRedisConnection: @unchecked Sendable {
    private let queue = DispatchQueue(label: "tally.test.redis-connection")
    /// Set once by `connect` on `queue`; read only on `queue`.
    private var connection: RedisConnection?

    private init() {}

    /// Connects (on the connection's own queue) with `configuration`.
    /// - Throws: what `RedisConnection.init(configuration:)` throws.
    public static func connect(configuration: RedisConfiguration) async throws(RedisError) -> AsyncRedisConnection {
        let wrapper = AsyncRedisConnection()
        try await wrapper.onQueue { wrapper throws(RedisError) in
            wrapper.connection = try RedisConnection(configuration: configuration)
        }
        return wrapper
    }

    /// Runs `body` with the connection on its queue and returns its result. `body` must not keep the connection.
    public func run<Result: Sendable>(
        _ body: @escaping @Sendable (RedisConnection) throws(RedisError) -> Result
    ) async throws(RedisError) -> Result {
        try await onQueue { wrapper throws(RedisError) in
            guard let connection = wrapper.connection else { preconditionFailure("used before connect succeeded") }
            return try body(connection)
        }
    }

    /// Runs `body` on `queue` with this wrapper and resumes with its outcome.
    private func onQueue<Result: Sendable>(
        _ body: @escaping @Sendable (AsyncRedisConnection) throws(RedisError) -> Result
    ) async throws(RedisError) -> Result {
        let outcome: Swift.Result<Result, RedisError> = await withCheckedContinuation { continuation in
            queue.async {
                do throws(RedisError) {
                    continuation.resume(returning: .success(try body(self)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try outcome.get()
    }

    /// See `RedisConnection.send(_:)`.
    public func send(_ command: RedisCommand) async throws(RedisError) -> RedisReply {
        try await run { connection throws(RedisError) in try connection.send(command) }
    }

    /// See `RedisConnection.pipeline(_:)`.
    public func pipeline(_ commands: [RedisCommand]) async throws(RedisError) -> [RedisReply] {
        try await run { connection throws(RedisError) in try connection.pipeline(commands) }
    }

    /// See `RedisConnection.transaction(_:)`.
    public func transaction(_ commands: [RedisCommand]) async throws(RedisError) -> [RedisReply] {
        try await run { connection throws(RedisError) in try connection.transaction(commands) }
    }

    /// See `RedisConnection.evaluate(_:keys:arguments:)`.
    public func evaluate(
        _ script: RedisScript, keys: [any RedisArgumentConvertible] = [],
        arguments: [any RedisArgumentConvertible] = []
    ) async throws(RedisError) -> RedisReply {
        try await run { connection throws(RedisError) in
            try connection.evaluate(script, keys: keys, arguments: arguments)
        }
    }

    /// See `RedisConnection.isBroken`.
    public var isBroken: Bool {
        get async { (try? await run { $0.isBroken }) ?? true }
    }

    /// See `RedisConnection.replyAccounting`.
    public var replyAccounting: (received: Int, freed: Int) {
        get async { (try? await run { $0.replyAccounting }) ?? (0, 0) }
    }
}
