import Hiredis

/// The `RedisError` that `body` throws, or `nil` if it succeeds; pair with `#require`.
public func redisError<T>(_ body: () throws(RedisError) -> T) -> RedisError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}

/// The `RedisError` that the async `body` throws, or `nil` if it succeeds; pair with `#require`.
public func redisError<T>(_ body: () async throws(RedisError) -> T) async -> RedisError? {
    do {
        _ = try await body()
        return nil
    } catch {
        return error
    }
}
