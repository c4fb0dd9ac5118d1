import Foundation
import Hiredis

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A child process a test started, whose end can be awaited without parking a thread of the cooperative pool.
///
/// `Process.waitUntilExit()` blocks its thread until the child ends; with two cooperative threads, two such waits stop
/// every other test. Here Foundation's `terminationHandler` (called on a thread of Foundation's own when the child
/// exits) resumes the tasks suspended in `waitUntilExit()`. Thread-safe: the state is behind a lock.
public final class ChildProcess: Sendable {
    private let process: Process
    private let state: LockedValueBox<State>

    private struct State {
        var exited = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    /// Runs `process` (configured, not yet started), watching for its exit.
    /// - Throws: what `Process.run()` throws.
    public init(starting process: Process) throws {
        self.process = process
        let state = LockedValueBox(State())
        self.state = state
        // Set before `run()`, so an exit that comes first is not missed.
        process.terminationHandler = { _ in
            let waiters = state.withLockedValue { state in
                state.exited = true
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume() }
        }
        // One launch at a time in the process: Foundation learns of a child's exit when the child's end of a socket
        // pair closes, and closes other descriptors in the child by listing the open ones before spawning; a
        // socket pair made by a concurrent launch in between would be inherited, and that child's exit unseen.
        try Self.launches.withLock { try process.run() }
    }

    private static let launches = NSLock()

    /// Runs `process` to its end and returns its exit status, suspending (not blocking) meanwhile.
    public static func run(_ process: Process) async throws -> Int32 {
        let child = try ChildProcess(starting: process)
        await child.waitUntilExit()
        return child.terminationStatus
    }

    public var processIdentifier: Int32 { process.processIdentifier }

    /// Whether the child is alive (false once Foundation has reaped it).
    public var isRunning: Bool { process.isRunning }

    /// The exit status (or the signal that ended it); only meaningful once the child has exited.
    public var terminationStatus: Int32 { process.terminationStatus }

    /// Sends `signal` to the child if it is still running (never to a reaped pid that may have been reused).
    public func send(_ signal: Int32) {
        if process.isRunning { _ = kill(process.processIdentifier, signal) }
    }

    /// Sends `signal` to the child's process group (Foundation starts each child in a group of its own), so
    /// processes it started go too; only while the child is running.
    public func sendToGroup(_ signal: Int32) {
        if process.isRunning { _ = kill(-process.processIdentifier, signal) }
    }

    /// Returns once the child has exited and Foundation has reaped it.
    public func waitUntilExit() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let exited = state.withLockedValue { state in
                if !state.exited { state.waiters.append(continuation) }
                return state.exited
            }
            if exited { continuation.resume() }
        }
    }
}
