import Hiredis

/// Direct mode: every event's writes go to Redis in one pipeline, and `record` returns when Redis has answered.
///
/// GitLab sends the same writes one command per round trip (3–4 for a bare event); here it is always one.
public struct DirectRedisCounterSink: EventSink {
    public let pool: RedisConnectionPool
    public let planner: CounterWritePlanner

    public init(pool: RedisConnectionPool, planner: CounterWritePlanner) {
        self.pool = pool
        self.planner = planner
    }

    public func record(_ event: TrackedEvent) async throws {
        let commands = RedisCounterCommands.pipeline(for: planner.writes(for: event))
        if commands.isEmpty { return }
        let replies = try await pool.pipeline(commands)
        if let refused = replies.first(where: \.isError) {
            throw RedisError(code: .serverError, message: "\(refused)")
        }
        for case .array(let results) in replies {
            if let refused = results.first(where: \.isError) {
                throw RedisError(code: .serverError, message: "\(refused)")
            }
        }
    }
}
