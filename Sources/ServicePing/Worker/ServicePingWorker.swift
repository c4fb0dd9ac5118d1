import AsyncHTTPClient
import Foundation
import Hiredis
import Logging
import ServiceLifecycle

/// The weekly Service Ping, as a swift-service-lifecycle `Service`: at the instance's scheduled time (see
/// `PingSchedule`), one worker of however many builds the ping, stores it in `raw_usage_data` and, when submission is
/// on, sends it to the collector; a week missed while no worker ran is caught up at start.
///
/// - Only one worker builds a week's ping: a Redis lock with an owner token guards the run, and a ping already stored
///   since the week's scheduled time is never built again.
/// - A random delay of up to `maximumJitter` spreads instances that share a schedule, as GitLab's worker does.
/// - A failed submission is retried after 8, 16 and 24 hours (GitLab's Sidekiq retries); unsent pings are also sent
///   with the next week's.
/// - Stopping mid-ping leaves no half-written row: a ping is stored by one `INSERT`.
public final class ServicePingWorker: Service {
    public struct Configuration: Sendable {
        /// Build and store pings at all (GitLab's "usage_ping_generation_enabled").
        public var generationEnabled: Bool = true
        /// Send them to `collectorURL`. Off by default: nothing leaves the machine unless configured.
        public var submissionEnabled: Bool = false
        public var collectorURL: String?
        public var maximumJitter: Duration = .seconds(60)
        public var retryDelays: [Duration] = [.seconds(8 * 3_600), .seconds(16 * 3_600), .seconds(24 * 3_600)]
        /// The lock's lifetime, in case a worker dies holding it (GitLab: a day).
        public var lockSeconds = 86_400

        public init() {}
    }

    /// What one scheduled run did.
    public enum Outcome: Sendable, Equatable {
        case generationDisabled
        /// Another worker holds the lock.
        case lockedByAnotherWorker
        /// This week's ping is already stored.
        case alreadyStored(recordedAt: Date)
        /// Stored, and submitted when `usageDataID` is set.
        case stored(recordedAt: Date, usageDataID: Int64?)
        /// Stored but not submitted (or not stored at all); retried later.
        case failed(String)
    }

    public static let lockKey = "tally:service_ping:lock"

    public let builder: ServicePingBuilder
    public let database: DatabaseConfiguration
    public let configuration: Configuration
    public let system: SystemInfo
    public let schedule: PingSchedule
    private let clock: any WallClock
    private let sleep: @Sendable (Duration) async throws -> Void
    private let logger: Logger

    /// - Parameter sleep: how the worker waits (injected so tests don't wait for real).
    public init(
        builder: ServicePingBuilder, database: DatabaseConfiguration, system: SystemInfo,
        configuration: Configuration = .init(),
        clock: any WallClock = SystemWallClock(),
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        logger: Logger = Logger(label: "tally.worker")
    ) {
        self.builder = builder
        self.database = database
        self.system = system
        self.configuration = configuration
        self.schedule = PingSchedule(uuid: system.uuid)
        self.clock = clock
        self.sleep = sleep
        self.logger = logger
    }

    /// Runs until cancelled or graceful shutdown.
    public func run() async throws {
        try await withStore { _ in }
        logger.info(
            "service ping worker started",
            metadata: ["schedule": "\(schedule) (UTC)", "submission": "\(configuration.submissionEnabled)"])
        do {
            try await cancelWhenGracefulShutdown { try await self.loop() }
        } catch is CancellationError {
            // Graceful shutdown (SIGTERM) or cancellation: a normal end.
        }
        logger.info("service ping worker stopped")
    }

    private func loop() async throws {
        var retries = 0
        if try await missedThisWeek() {
            logger.notice("this week's ping was missed; catching up now")
            retries = await record(runOnce(), retries: 0)
        }
        while !Task.isCancelled {
            let now = clock.now()
            let next = schedule.nextRun(after: now)
            if retries > 0, retries <= configuration.retryDelays.count,
                now + configuration.retryDelays[retries - 1].inSeconds < next
            {
                try await sleep(configuration.retryDelays[retries - 1])
                retries = await record(submitPending(), retries: retries)
                continue
            }
            try await sleep(.seconds(next.timeIntervalSince(now)))
            retries = await record(runOnce(), retries: 0)
        }
    }

    private func record(_ outcome: Outcome, retries: Int) async -> Int {
        switch outcome {
        case .failed(let reason):
            logger.error(
                "service ping failed; will retry", metadata: ["reason": "\(reason)", "attempt": "\(retries + 1)"])
            return retries + 1
        case .stored(let recordedAt, let id):
            logger.info(
                "service ping stored",
                metadata: [
                    "recorded_at": "\(recordedAt)", "usage_data_id": "\(id.map(String.init) ?? "not submitted")",
                ])
            return 0
        default:
            logger.info("service ping skipped", metadata: ["outcome": "\(outcome)"])
            return 0
        }
    }

    /// Whether no ping is stored since this week's scheduled time, which has passed.
    public func missedThisWeek() async throws -> Bool {
        let since = schedule.previousRun(atOrBefore: clock.now())
        return try await withStore { try await $0.newest(since: since) } == nil
    }

    /// One scheduled run: lock, wait a random moment, build, store once per week, submit when enabled.
    public func runOnce() async -> Outcome {
        guard configuration.generationEnabled else { return .generationDisabled }
        let token = UUID().uuidString
        let key = builder.scheme.prefix + Self.lockKey
        do {
            let acquired = try await builder.pool.send(
                RedisCommand("SET", keys: [key], arguments: [token, "NX", "EX", configuration.lockSeconds]))
            guard acquired == .status("OK") else { return .lockedByAnotherWorker }
        } catch {
            return .failed("Redis lock: \(error)")
        }
        let outcome = await buildStoreAndSubmit()
        _ = try? await builder.pool.send(Self.release(key, token: token))
        return outcome
    }

    /// The body of a run, under the lock.
    private func buildStoreAndSubmit() async -> Outcome {
        let jitterSeconds = Double.random(in: 0...max(0, configuration.maximumJitter.inSeconds))
        try? await sleep(.milliseconds(Int64(jitterSeconds * 1_000)))
        if Task.isCancelled { return .failed("stopped before the ping was built") }

        let now = clock.now()
        let since = schedule.previousRun(atOrBefore: now)
        do {
            if let existing = try await withStore({ try await $0.newest(since: since) }) {
                return .alreadyStored(recordedAt: existing.recordedAt)
            }
        } catch {
            return .failed("database: \(error)")
        }
        let report = await builder.build(recordedAt: now, system: system)
        // Stopped while building (SIGTERM): metrics cut short would read -1, so store nothing; the next start catches up.
        if Task.isCancelled { return .failed("stopped while building the ping; nothing stored") }
        let payload = report.payload.serialized()
        do {
            _ = try await withStore {
                try await $0.insert(recordedAt: report.recordedAt, payload: payload)
            }
        } catch {
            return .failed("storing the ping: \(error)")
        }
        guard configuration.submissionEnabled else { return .stored(recordedAt: report.recordedAt, usageDataID: nil) }
        switch await submitPending(metadata: [report.recordedAt: report.metadata.serialized()]) {
        case .failed(let reason): return .failed(reason)
        default: break
        }
        let stored = try? await withStore { try await $0.newest(since: report.recordedAt) }
        return .stored(recordedAt: report.recordedAt, usageDataID: stored?.usageDataID)
    }

    /// Sends every stored ping the collector hasn't accepted yet, oldest first; stops at the first failure.
    public func submitPending(metadata: [Date: String] = [:]) async -> Outcome {
        guard configuration.submissionEnabled, let collector = configuration.collectorURL else {
            return .failed("submission is enabled without a collector URL")
        }
        let client = ServicePingSubmitter.makeClient()
        let outcome = await submitUnsent(
            with: ServicePingSubmitter(baseURL: collector, client: client, logger: logger), metadata: metadata)
        try? await client.shutdown()
        return outcome
    }

    private func submitUnsent(with submitter: ServicePingSubmitter, metadata: [Date: String]) async -> Outcome {
        do {
            let unsent = try await withStore { try await $0.unsent() }
            var last: (Date, Int64)?
            for row in unsent {
                let id = try await submitter.submit(
                    payload: row.payload, metadata: metadata[row.recordedAt], system: system)
                try await withStore {
                    try await $0.markSent(recordedAt: row.recordedAt, usageDataID: id)
                }
                last = (row.recordedAt, id)
            }
            return last.map { .stored(recordedAt: $0.0, usageDataID: $0.1) } ?? .alreadyStored(recordedAt: clock.now())
        } catch {
            return .failed("submission: \(error)")
        }
    }

    /// Opens the database, makes sure `raw_usage_data` exists (cheap: `CREATE TABLE IF NOT EXISTS`), runs `body`.
    private func withStore<Result: Sendable>(
        _ body: @Sendable (RawUsageDataStore) async throws -> Result
    ) async throws -> Result {
        try await AppDatabase.withDatabase(database, logger: logger) { connection in
            let store = RawUsageDataStore(connection)
            try await store.migrate()
            return try await body(store)
        }
    }

    /// Deletes the lock only if this worker still owns it.
    static func release(_ key: String, token: String) -> RedisCommand {
        let script = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end"
        return RedisCommand(
            arguments: [Array("EVAL".utf8), Array(script.utf8), Array("1".utf8), Array(key.utf8), Array(token.utf8)],
            keyPositions: [3])
    }

}
