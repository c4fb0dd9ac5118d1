import TallyTestSupport
import Testing

@testable import TallyCollector

/// Group commit: a leader stores its own batch and the ones queued behind it in rounds on one session (one
/// connection), and each request gets its own outcome.
@Suite("Event writer (group commit)")
struct EventWriterTests {
    /// What the sessions saw: how many were opened, and the groups each stored.
    final class Log: Sendable {
        let sessions = Locked<[[[Int]]]>([])
        var opened: Int { sessions.value.count }
        var groups: [[[Int]]] { sessions.value }
    }

    struct Refused: Error, Equatable { var batch: Int }

    /// A session that logs its groups, stores each batch as its double, refuses the batches in `refusing`, and
    /// holds its first store until `release` lets it go.
    static func session(
        _ log: Log, refusing: Set<Int> = [], failingOpens: Int = 0, release: AsyncGate? = nil
    ) -> EventWriter<Int, Int>.Session {
        { rounds in
            let index = log.sessions.withLock { sessions in
                sessions.append([])
                return sessions.count - 1
            }
            if index < failingOpens { throw Refused(batch: -1) }
            return await rounds { batches in
                let first = log.sessions.withLock { sessions in
                    sessions[index].append(batches)
                    return index == 0 && sessions[index].count == 1
                }
                if first, let release { await release.wait() }
                if let refused = batches.first(where: refusing.contains) { throw Refused(batch: refused) }
                return batches.map { $0 * 2 }
            }
        }
    }

    /// Starts the leader (batch 0), then `followers` more writes once the leader's first store is under way, each
    /// once the one before it is queued (so the queue's order is the batches' order), and releases the leader once
    /// all of them are queued. Returns each batch's outcome.
    static func run(
        _ writer: EventWriter<Int, Int>, followers: Int, session: @escaping (AsyncGate) -> EventWriter<Int, Int>.Session
    ) async -> [Int: Result<Int, Refused>] {
        let release = AsyncGate()
        let session = session(release)
        return await withTaskGroup(of: (Int, Result<Int, Refused>).self) { group in
            group.addTask { await (0, Self.outcome { try await writer.write(0, session: session) }) }
            #expect(await TestEnvironment.waitUntil { release.hasWaiter }, "the leader's first store never started")
            for batch in 1...followers {
                group.addTask { await (batch, Self.outcome { try await writer.write(batch, session: session) }) }
                #expect(
                    await TestEnvironment.waitUntil { writer.waitingCount == batch }, "batch \(batch) never queued")
            }
            release.open()
            var outcomes: [Int: Result<Int, Refused>] = [:]
            for await (batch, outcome) in group { outcomes[batch] = outcome }
            return outcomes
        }
    }

    static func outcome(_ body: () async throws -> Int) async -> Result<Int, Refused> {
        do {
            return .success(try await body())
        } catch {
            return .failure(error as? Refused ?? Refused(batch: -2))
        }
    }

    @Test func aLeadersRoundsShareOneSession() async {
        let writer = EventWriter<Int, Int>(maximumGroup: 2)
        let log = Log()
        let outcomes = await Self.run(writer, followers: 6) { Self.session(log, release: $0) }
        #expect(log.groups == [[[0], [1, 2], [3, 4], [5, 6]]], "one session, four rounds")
        for batch in 0...6 { #expect(outcomes[batch] == .success(batch * 2)) }
        #expect(writer.waitingCount == 0)
    }

    @Test func theLeadPassesOnAfterItsRounds() async {
        let writer = EventWriter<Int, Int>(maximumGroup: 2)
        let log = Log()
        let outcomes = await Self.run(writer, followers: 8) { Self.session(log, release: $0) }
        // Four rounds for the first leader; the oldest still waiting (7) leads the next session, with 8 behind it.
        #expect(log.groups == [[[0], [1, 2], [3, 4], [5, 6]], [[7], [8]]])
        for batch in 0...8 { #expect(outcomes[batch] == .success(batch * 2)) }
    }

    /// A refused group is stored batch by batch (only the refused batch fails), and the session ends after that
    /// round: its connection may be broken, so the next leader opens its own.
    @Test func aFailedRoundEndsTheSession() async {
        let writer = EventWriter<Int, Int>(maximumGroup: 2)
        let log = Log()
        let outcomes = await Self.run(writer, followers: 6) { Self.session(log, refusing: [3], release: $0) }
        #expect(log.groups == [[[0], [1, 2], [3, 4], [3], [4]], [[5], [6]]])
        #expect(outcomes[3] == .failure(Refused(batch: 3)))
        for batch in [0, 1, 2, 4, 5, 6] { #expect(outcomes[batch] == .success(batch * 2)) }
    }

    /// A session that can't be opened fails its leader's batch only; the next waiting request leads and opens
    /// another.
    @Test func aSessionThatCannotOpenFailsOnlyItsLeader() async {
        let writer = EventWriter<Int, Int>(maximumGroup: 4)
        let log = Log()
        let release = AsyncGate()
        let outcomes = await withTaskGroup(of: (Int, Result<Int, Refused>).self) { group in
            // The first session fails to open; the follower queues behind the leader's turn, then leads.
            let session = Self.session(log, failingOpens: 1, release: release)
            group.addTask { await (0, Self.outcome { try await writer.write(0, session: session) }) }
            group.addTask { await (1, Self.outcome { try await writer.write(1, session: session) }) }
            release.open()
            var outcomes: [Int: Result<Int, Refused>] = [:]
            for await (batch, outcome) in group { outcomes[batch] = outcome }
            return outcomes
        }
        let failed = outcomes.filter { if case .failure = $0.value { true } else { false } }
        #expect(failed.count == 1 && failed.first?.value == .failure(Refused(batch: -1)), "\(outcomes)")
        #expect(log.opened == 2)
    }
}
