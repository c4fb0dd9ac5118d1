import AsyncHTTPClient
import Foundation
import Hiredis
import InternalEvents
import Logging
import ServiceLifecycle

/// The weekly Service Ping, as a swift-service-lifecycle `Service`: at the instance's scheduled time (see
/// `PingSchedule`), one worker of however many builds the ping, stores it in `raw_usage_data` and, when submission is
/// on, sends it to the collector; a week missed while no worker ran is caught up at start.
///
/// - Only one worker builds a week's ping: a Redis lease with an owner token guards the run (renewed while the worker
///   runs, so a worker killed mid-ping frees it within `lockSeconds`), and a ping already stored since the week's
///   scheduled time is never built again. A worker that finds the lease taken looks again when it would have expired.
/// - When the database can't be reached, the ping is built anyway (its database metrics read -1 with the error) and
///   stored as soon as the database answers again (every `storeRetryDelay`, up to `storeAttempts` times).
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
        /// The lease's lifetime; the worker holding it renews it every third of that. A worker killed while holding
        /// it delays the week's ping by at most this long. (GitLab holds a day-long lease instead.)
        public var lockSeconds = 120
        /// Wait between attempts to store a built ping while the database is unreachable.
        public var storeRetryDelay: Duration = .seconds(60)
        /// Attempts to store a built ping before the run counts as failed (and is retried later from scratch).
        public var storeAttempts = 30

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
        if (try? await missedThisWeek()) != false {
            logger.notice("this week's ping was missed; catching up now")
            retries = await record(try await runOnceWaitingForLease(), retries: 0)
        }
        while !Task.isCancelled {
            let now = clock.now()
            let next = schedule.nextRun(after: now)
            if retries > 0, retries <= configuration.retryDelays.count,
                now + configuration.retryDelays[retries - 1].inSeconds < next
            {
                try await sleep(configuration.retryDelays[retries - 1])
                // This week's ping may not even be stored yet (the database was down): then build it again.
                let outcome =
                    (try? await missedThisWeek()) == false ? await submitPending() : try await runOnceWaitingForLease()
                retries = await record(outcome, retries: retries)
                continue
            }
            try await sleep(.seconds(next.timeIntervalSince(now)))
            retries = await record(try await runOnceWaitingForLease(), retries: 0)
        }
    }

    /// `runOnce`, and while another worker holds the lease, again when the lease would have expired, until this
    /// week's ping is stored by someone.
    private func runOnceWaitingForLease() async throws -> Outcome {
        while true {
            let outcome = await runOnce()
            guard outcome == .lockedByAnotherWorker else { return outcome }
            logger.info(
                "another worker holds the service ping lease; looking again when it expires",
                metadata: ["seconds": "\(configuration.lockSeconds)"])
            try await sleep(.seconds(configuration.lockSeconds))
            if (try? await missedThisWeek()) == false { return .alreadyStored(recordedAt: clock.now()) }
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
            let acquired = try await builder.redis.send(
                .set(key, token, condition: .ifNotExists, expiration: .seconds(configuration.lockSeconds)))
            switch acquired {
            case .status("OK"): break
            case .null: return .lockedByAnotherWorker
            default: return .failed("Redis lock: the server answered \(acquired)")
            }
        } catch {
            return .failed("Redis lock: \(error)")
        }
        // The build and the lease's renewal run side by side; whichever ends first decides (a lost lease stops the
        // build, which then stores nothing).
        let outcome = await withTaskGroup(of: Outcome?.self) { group in
            group.addTask { await self.renewLease(key, token: token) }
            group.addTask { await self.buildStoreAndSubmit() }
            var decided: Outcome?
            for await result in group where decided == nil {
                if let result {
                    decided = result
                    group.cancelAll()
                }
            }
            return decided ?? .failed("stopped")
        }
        _ = try? await builder.redis.send(Self.release(key, token: token))
        return outcome
    }

    /// Extends the lease every third of its lifetime while this worker owns it. Returns `nil` when cancelled (the
    /// build ended), or a failure once the lease is lost: another worker owns it, or renewals failed for a whole
    /// lifetime, so it has expired.
    private func renewLease(_ key: String, token: String) async -> Outcome? {
        let interval = Duration.milliseconds(max(100, configuration.lockSeconds * 1_000 / 3))
        var lastRenewed = ContinuousClock.now
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return nil
            }
            switch try? await builder.redis.send(Self.renew(key, token: token, seconds: configuration.lockSeconds)) {
            case .integer(1)?:
                lastRenewed = .now
            case .integer(0)?:
                return .failed("lost the service ping lease to another worker; nothing stored")
            default:
                if ContinuousClock.now - lastRenewed >= .seconds(configuration.lockSeconds) {
                    return .failed(
                        "could not renew the service ping lease for \(configuration.lockSeconds) s; nothing stored")
                }
            }
        }
        return nil
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
            logger.warning(
                "the database is unreachable; building the ping anyway, storing it when the database is back",
                metadata: ["error": "\(error)"])
        }
        let report = await builder.build(recordedAt: now, system: system)
        // Stopped while building (SIGTERM): metrics cut short would read -1, so store nothing; the next start catches up.
        if Task.isCancelled { return .failed("stopped while building the ping; nothing stored") }
        switch await store(report, since: since) {
        case .stored: break
        case .alreadyStored(let recordedAt): return .alreadyStored(recordedAt: recordedAt)
        case let other: return other
        }
        guard configuration.submissionEnabled else { return .stored(recordedAt: report.recordedAt, usageDataID: nil) }
        switch await submitPending(metadata: [report.recordedAt: report.metadata.serialized()]) {
        case .failed(let reason): return .failed(reason)
        default: break
        }
        let stored = try? await withStore { try await $0.newest(since: report.recordedAt) }
        return .stored(recordedAt: report.recordedAt, usageDataID: stored?.usageDataID)
    }

    /// Stores a built ping once, unless one was stored since `since` meanwhile; retries while the database is down.
    private func store(_ report: ServicePingReport, since: Date) async -> Outcome {
        let payload = report.payload.serialized()
        var attempt = 1
        while true {
            do {
                let existing = try await withStore { store -> Date? in
                    if try await store.insert(recordedAt: report.recordedAt, payload: payload, unlessStoredSince: since)
                    {
                        return nil
                    }
                    return try await store.newest(since: since)?.recordedAt ?? report.recordedAt
                }
                if let existing { return .alreadyStored(recordedAt: existing) }
                if attempt > 1 {
                    logger.notice("the database is back; the ping is stored", metadata: ["attempts": "\(attempt)"])
                }
                return .stored(recordedAt: report.recordedAt, usageDataID: nil)
            } catch {
                guard attempt < configuration.storeAttempts, !Task.isCancelled else {
                    return .failed("storing the ping: \(error)")
                }
                if attempt == 1 {
                    logger.warning(
                        "can't store the ping; retrying until the database answers",
                        metadata: ["error": "\(error)", "every": "\(configuration.storeRetryDelay)"])
                }
                attempt += 1
                try? await sleep(configuration.storeRetryDelay)
                if Task.isCancelled { return .failed("stopped while waiting to store the ping; nothing stored") }
            }
        }
    }

    /// Sends every stored ping the collector hasn't accepted yet, oldest first; stops at the first failure.
    public func submitPending(metadata: [Date: String] = [:]) async -> Outcome {
        guard configuration.submissionEnabled else { return .alreadyStored(recordedAt: clock.now()) }
        guard let collector = configuration.collectorURL else {
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

    /// Extends the lease only if this worker still owns it.
    static func renew(_ key: String, token: String, seconds: Int) -> RedisCommand {
        let script =
            "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('EXPIRE', KEYS[1], ARGV[2]) else return 0 end"
        return .eval(script, keys: [key], arguments: [token, seconds])
    }

    /// Deletes the lock only if this worker still owns it.
    static func release(_ key: String, token: String) -> RedisCommand {
        let script = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end"
        return .eval(script, keys: [key], arguments: [token])
    }

}
