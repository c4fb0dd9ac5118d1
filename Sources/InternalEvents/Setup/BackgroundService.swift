/// Work one of Tally's parts does for as long as the app runs: the counter sinks' flushing, the event-record
/// emitter's sending, and `Tally` itself (all of its parts at once).
///
/// `run()` does the work until `requestShutdown()` is called or its task is cancelled, then does its last work
/// (the final flush) and returns. Nothing of it starts in an `init`.
///
/// In a swift-service-lifecycle `ServiceGroup`, use the module `TallyServiceLifecycle`: `tally.services` (or
/// `sink.service`) turns graceful shutdown into `requestShutdown()`. Without it, run `run()` in a task of your own
/// and call `requestShutdown()` when the app stops, then await that task: the last events are stored by then.
/// (InternalEvents itself doesn't link swift-service-lifecycle, so an app that only counts builds only what
/// counting needs.)
public protocol BackgroundService: Sendable {
    /// Does the work until `requestShutdown()` or cancellation, then the last of it, and returns.
    ///
    /// Cancellation ends the waiting, not the final flush: that still runs before `run()` returns.
    func run() async throws

    /// Asks a running (or future) `run()` to do its last work and return. Returns at once, from any thread.
    func requestShutdown()
}
