#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A value behind a `pthread_mutex_t`: the small shared state of the pool, the buffered sink and the clocks.
///
/// Tally's lowest layer owns it so that the app-side library needs no SwiftNIO. A pthread mutex rather than
/// `Synchronization.Mutex`, whose futex ThreadSanitizer can't see on Linux (it reports false races).
///
/// **Thread safety:** every access to the value goes through `withLockedValue`; never call it again from inside
/// `body` (the mutex is not recursive), and keep `body` short: it must not block on I/O.
public final class LockedValueBox<Value>: @unchecked Sendable {
    // `@unchecked Sendable` is safe: `value` is read and written only while `mutex` is held.
    @usableFromInline var value: Value
    /// Owned: allocated and initialized here, destroyed and freed once in `deinit`. A heap address, because a
    /// pthread mutex must not move while in use.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    public init(_ value: Value) {
        self.value = value
        mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        let result = pthread_mutex_init(mutex, nil)
        precondition(result == 0, "pthread_mutex_init failed: \(result)")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` with exclusive access to the value and returns its result.
    @inlinable
    public func withLockedValue<Result, Failure: Error>(
        _ body: (inout Value) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        lock()
        defer { unlock() }
        return try body(&value)
    }

    @usableFromInline
    func lock() {
        let result = pthread_mutex_lock(mutex)
        precondition(result == 0, "pthread_mutex_lock failed: \(result)")
    }

    @usableFromInline
    func unlock() {
        let result = pthread_mutex_unlock(mutex)
        precondition(result == 0, "pthread_mutex_unlock failed: \(result)")
    }
}
