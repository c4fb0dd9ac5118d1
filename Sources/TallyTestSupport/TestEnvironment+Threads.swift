import Foundation

extension TestEnvironment {
    /// Runs the blocking `body` on a `Thread` of its own and returns (or throws) what it does; the calling task
    /// suspends meanwhile, so no thread of the cooperative pool is parked.
    ///
    /// For polls with a deadline (a server getting ready): on the pool, every step would wait for a free thread, and
    /// with the pool's threads busy with other tests the deadline would pass while the server was ready.
    public static func onOwnThread<Result: Sendable>(
        _ body: @escaping @Sendable () throws -> Result
    ) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Swift.Result { try body() })
            }
            thread.name = "tally.test.blocking"
            thread.start()
        }
    }
}
