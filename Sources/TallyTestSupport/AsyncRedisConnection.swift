import Dispatch
import Hiredis

/// One `RedisConnection` for async tests, used on a serial `DispatchQueue` of its own, so its blocking reads and
/// writes never park a thread of the cooperative pool (a test of `RedisConnection` itself needs that one connection;
/// other tests use `RedisConnectionPool`).
///
/// `@unchecked Sendable` is safe: `connection` (not `Sendable`) is only touched in blocks on `queue`, which runs them
/// one at a time, and nothing else keeps a reference to it.
public final class AsyncRedisConnection: @unchecked Sendable {
    private let connection: RedisConnection
    private let queue: DispatchQueue

    private init(connection: RedisConnection, queue: DispatchQueue) {
        self.connection = connection
        self.queue = queue
    }

    /// Connects (on the connection's own queue) with `configuration`.
    /// - Throws: what `RedisConnection.init(configuration:)` throws.
    public static func connect(configuration: RedisConfiguration) async throws(RedisError) -> AsyncRedisConnection {
        let queue = DispatchQueue(label: "tally.test.redis-connection")
        let outcome: Result<AsyncRedisConnection, RedisError> = await withCheckedContinuation { continuation in
            queue.async {
                do throws(RedisError) {
                    let connection = try RedisConnection(configuration: configuration)
                    continuation.resume(returning: .success(AsyncRedisConnection(connection: connection, queue: queue)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try outcome.get()
    }

    /// Runs `body` with the connection on its queue and returns its result. `body` must not keep the connection.
    public func run<Result: Sendable>(
        _ body: @escaping @Sendable (RedisConnection) throws(RedisError) -> Result
    ) async throws(RedisError) -> Result {
        let outcome: Swift.Result<Result, RedisError> = await withCheckedContinuation { continuation in
            queue.async {
                do throws(RedisError) {
                    continuation.resume(returning: .success(try body(self.connection)))
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
