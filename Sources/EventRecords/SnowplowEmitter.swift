import AsyncHTTPClient
import Foundation
import Hiredis
import InternalEvents
import Logging
import Metrics
import NIOCore
import NIOFoundationCompat

/// Sends event records (SaaS mode) to a Snowplow collector: `POST {collector}/com.snowplowanalytics.snowplow/tp2`
/// with a `payload_data` 1-0-4 envelope of structured events (see `SnowplowEventRecord`).
///
/// An `EventSink` for the tracker and a `BackgroundService` (a `ServiceGroup` runs it as `emitter.service`):
/// - `enqueue` (and `record`) only builds the record (pseudonymizing the user id) and queues it; it never waits for the network.
/// - The queue is bounded (`maximumQueuedRecords`); records beyond it are dropped and counted, never thrown.
/// - `run()` sends batches of up to `batchSize` records, when a batch is full or every `flushInterval`. A batch
///   that fails (network error, timeout, 5xx, 408, 429) is retried after each of `retryDelays`, then counted as
///   failed. Other 4xx answers are not retried.
/// - On `requestShutdown()` (graceful shutdown) the queue is sent once more (one attempt per batch, within `shutdownTimeout`).
/// - Events tracked with `sendEventRecord: false` (Do-Not-Track) are skipped and counted as such.
public final class SnowplowEmitter: EventSink, BackgroundService {
    /// Where and how records are sent.
    public struct Configuration: Sendable, Hashable {
        /// The collector's base URL, `https://collector.example.com`.
        public var collectorURL: String
        /// Records per request.
        public var batchSize: Int
        /// Longest time a record waits in the queue before its batch is sent.
        public var flushInterval: Duration
        /// Most records held; beyond it new records are dropped and counted.
        public var maximumQueuedRecords: Int
        /// Waits before each retry of a failed batch; the batch is counted as failed after the last one.
        public var retryDelays: [Duration]
        /// Longest wait for one request (connect and answer).
        public var requestTimeout: Duration
        /// Longest time the final send may take when the service stops.
        public var shutdownTimeout: Duration

        public init(
            collectorURL: String, batchSize: Int = 100, flushInterval: Duration = .seconds(1),
            maximumQueuedRecords: Int = 10_000,
            retryDelays: [Duration] = [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16)],
            requestTimeout: Duration = .seconds(10), shutdownTimeout: Duration = .seconds(10)
        ) {
            self.collectorURL = collectorURL.hasSuffix("/") ? String(collectorURL.dropLast()) : collectorURL
            self.batchSize = max(1, batchSize)
            self.flushInterval = flushInterval
            self.maximumQueuedRecords = max(1, maximumQueuedRecords)
            self.retryDelays = retryDelays
            self.requestTimeout = requestTimeout
            self.shutdownTimeout = shutdownTimeout
        }

        /// The tracker protocol's POST endpoint.
        public var endpoint: String { collectorURL + "/com.snowplowanalytics.snowplow/tp2" }

        /// The endpoint with any user name and password in the URL shown as `***`, for logs.
        public var redactedEndpoint: String {
            guard var components = URLComponents(string: endpoint), components.user != nil || components.password != nil
            else { return endpoint }
            components.user = "***"
            components.password = nil
            return components.string ?? "***"
        }
    }

    /// What the emitter has done so far.
    public struct Statistics: Sendable, Hashable {
        /// Records queued and not yet sent or given up.
        public var queued: Int
        /// Records the collector accepted.
        public var sent: Int
        /// Records given up after every retry, or refused by the collector with a 4xx.
        public var failed: Int
        /// Records dropped because the queue was full.
        public var dropped: Int
        /// Events not turned into records (Do-Not-Track, or tracked with `sendEventRecord: false`).
        public var skipped: Int
        /// Requests repeated after a failure.
        public var retries: Int
    }

    public let configuration: Configuration
    public let instance: SnowplowEventRecord.Instance
    /// The definitions the tracked events come from, for what a record carries by definition (`ai_context`).
    public let catalog: DefinitionCatalog?
    private let pseudonymizer: Pseudonymizer
    private let logger: Logger
    private let state = LockedValueBox(State())
    private let metrics = EmitterMetrics()

    private struct State {
        var queue: [SnowplowEventRecord] = []
        var waiter: CheckedContinuation<Void, Never>?
        var stopping = false
        var lastFailureLog: ContinuousClock.Instant?
        var statistics = Statistics(queued: 0, sent: 0, failed: 0, dropped: 0, skipped: 0, retries: 0)
    }

    /// - Parameter catalog: the tracker's definitions; with it, records of `classification: duo` events carry
    ///   GitLab's `ai_context`. Without it no record does.
    public init(
        configuration: Configuration, instance: SnowplowEventRecord.Instance, pseudonymizer: Pseudonymizer,
        catalog: DefinitionCatalog? = nil, logger: Logger = Logger(label: "tally.event-records")
    ) {
        self.configuration = configuration
        self.instance = instance
        self.catalog = catalog
        self.pseudonymizer = pseudonymizer
        self.logger = logger
    }

    public var statistics: Statistics {
        state.withLockedValue { state in
            var statistics = state.statistics
            statistics.queued = state.queue.count
            return statistics
        }
    }

    /// Builds the record and queues it; never waits for the network (records past the bound are dropped and
    /// counted).
    public func enqueue(_ event: TrackedEvent) {
        guard event.sendsEventRecord else {
            state.withLockedValue { $0.statistics.skipped += 1 }
            metrics.skipped.increment()
            return
        }
        let record = SnowplowEventRecord(
            event, instance: instance, pseudonymizer: pseudonymizer, definition: catalog?.events[event.name])
        let (accepted, waiter) = state.withLockedValue { state -> (Bool, CheckedContinuation<Void, Never>?) in
            guard state.queue.count < configuration.maximumQueuedRecords else {
                state.statistics.dropped += 1
                return (false, nil)
            }
            state.queue.append(record)
            guard state.queue.count >= configuration.batchSize, let waiter = state.waiter else { return (true, nil) }
            state.waiter = nil
            return (true, waiter)
        }
        if accepted { waiter?.resume() } else { metrics.dropped.increment() }
    }

    /// Sends batches until `requestShutdown()` or cancellation, then sends what is left.
    public func run() async throws {
        var clientConfiguration = HTTPClient.Configuration()
        let timeout = TimeAmount.nanoseconds(configuration.requestTimeout.inNanoseconds)
        clientConfiguration.timeout = .init(connect: timeout, read: timeout)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        while !isStopping {
            await waitForBatch()
            while !isStopping, let batch = takeBatch() {
                await send(batch, client: client, retrying: true)
            }
        }
        await drain(client: client)
        try? await client.shutdown()
    }

    /// Ends `run()`'s loop: it sends the queue once more and returns. Returns at once.
    public func requestShutdown() {
        let waiter = state.withLockedValue { state in
            state.stopping = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// The final send at shutdown: every queued batch once, within `shutdownTimeout`.
    private func drain(client: HTTPClient) async {
        let deadline = ContinuousClock.now + configuration.shutdownTimeout
        while ContinuousClock.now < deadline, let batch = takeBatch() {
            await send(
                batch, client: client, retrying: false, timeout: min(configuration.requestTimeout, deadline - .now))
        }
        let left = state.withLockedValue { state in
            defer { state.queue.removeAll() }
            state.statistics.failed += state.queue.count
            return state.queue.count
        }
        if left > 0 {
            metrics.failed.increment(by: left)
            logger.error("event records not sent before shutdown", metadata: ["records": "\(left)"])
        }
    }

    /// `requestShutdown()` was called, or the task was cancelled.
    private var isStopping: Bool { Task.isCancelled || state.withLockedValue { $0.stopping } }

    private func takeBatch() -> [SnowplowEventRecord]? {
        state.withLockedValue { state in
            guard !state.queue.isEmpty else { return nil }
            let count = min(configuration.batchSize, state.queue.count)
            defer { state.queue.removeFirst(count) }
            return Array(state.queue.prefix(count))
        }
    }

    /// Returns when a full batch is queued, the flush interval has passed, or the emitter is stopping.
    private func waitForBatch() async {
        let interval = configuration.flushInterval
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: interval) }
            group.addTask { await self.waitForFullBatch() }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForFullBatch() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLockedValue { state in
                    if state.queue.count >= configuration.batchSize || state.stopping || Task.isCancelled {
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLockedValue { state in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }

    private enum Outcome {
        case sent, retryable(String), refused(String)
    }

    private func send(
        _ batch: [SnowplowEventRecord], client: HTTPClient, retrying: Bool, timeout: Duration? = nil
    ) async {
        var attempt = 0
        while true {
            let outcome = await post(batch, client: client, timeout: timeout ?? configuration.requestTimeout)
            switch outcome {
            case .sent:
                state.withLockedValue { $0.statistics.sent += batch.count }
                metrics.sent.increment(by: batch.count)
                return
            case .refused(let reason):
                giveUp(batch, reason: reason, always: !retrying)
                return
            case .retryable(let reason):
                guard retrying, attempt < configuration.retryDelays.count, !isStopping else {
                    giveUp(batch, reason: reason, always: !retrying)
                    return
                }
                logFailure(reason, willRetry: true)
                await sleepUnlessStopping(configuration.retryDelays[attempt])
                attempt += 1
                state.withLockedValue { $0.statistics.retries += 1 }
            }
        }
    }

    /// `always`: log even within the once-a-minute limit (records given up at shutdown).
    private func giveUp(_ batch: [SnowplowEventRecord], reason: String, always: Bool = false) {
        state.withLockedValue { $0.statistics.failed += batch.count }
        metrics.failed.increment(by: batch.count)
        logFailure(reason, willRetry: false, records: batch.count, always: always)
    }

    /// Waits `delay`, in short steps, so that a shutdown ends the wait at once.
    private func sleepUnlessStopping(_ delay: Duration) async {
        let end = ContinuousClock.now + delay
        while !isStopping, ContinuousClock.now < end {
            try? await Task.sleep(for: min(.milliseconds(50), end - .now))
        }
    }

    private func post(_ batch: [SnowplowEventRecord], client: HTTPClient, timeout: Duration) async -> Outcome {
        var request = HTTPClientRequest(url: configuration.endpoint)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        let body = SnowplowEventRecord.envelope(batch, sentAt: Date()).serialized()
        request.body = .bytes(ByteBuffer(string: body))
        do {
            let response = try await client.execute(
                request, timeout: .nanoseconds(max(0, timeout.inNanoseconds)))
            _ = try? await response.body.collect(upTo: 1 << 16)
            let code = Int(response.status.code)
            if (200..<300).contains(code) { return .sent }
            if code >= 500 || code == 408 || code == 429 { return .retryable("collector answered \(code)") }
            return .refused("collector refused the batch with \(code)")
        } catch {
            return .retryable("\(error)")
        }
    }

    /// Logs the first failure, then at most one a minute, so an outage doesn't flood the app's logs.
    private func logFailure(_ reason: String, willRetry: Bool, records: Int = 0, always: Bool = false) {
        let now = ContinuousClock.now
        let shouldLog = state.withLockedValue { state in
            if !always, let last = state.lastFailureLog, now - last < .seconds(60) { return false }
            state.lastFailureLog = now
            return true
        }
        guard shouldLog else { return }
        var metadata: Logger.Metadata = ["collector": "\(configuration.redactedEndpoint)", "reason": "\(reason)"]
        if !willRetry { metadata["records"] = "\(records)" }
        logger.warning(willRetry ? "event records not sent, will retry" : "event records given up", metadata: metadata)
    }
}

/// The emitter's swift-metrics counters (GitLab: `gitlab_snowplow_*_events_total`).
private struct EmitterMetrics: Sendable {
    let sent = Counter(label: "tally_event_records_total", dimensions: [("result", "sent")])
    let failed = Counter(label: "tally_event_records_total", dimensions: [("result", "failed")])
    let dropped = Counter(label: "tally_event_records_total", dimensions: [("result", "dropped")])
    let skipped = Counter(label: "tally_event_records_total", dimensions: [("result", "skipped")])
}
