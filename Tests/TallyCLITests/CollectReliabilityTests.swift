import Foundation
import TallyTestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Fault scenario 11 (RELIABILITY.md): `tally collect` killed with SIGKILL in the middle of a stream of tracker
/// batches, then restarted on the same warehouse. Every batch it acknowledged is stored; senders resend the rest
/// and nothing is stored twice.
@Suite("tally collect killed mid-stream")
struct CollectReliabilityTests {
    static let senders = 4
    static let batchesPerSender = 60
    static let eventsPerBatch = 50

    /// The batch's events, ids unique across senders and batches.
    static func batch(sender: Int, index: Int) -> (body: Data, ids: [String]) {
        var ids: [String] = []
        var events: [String] = []
        let now = Int64(Date().timeIntervalSince1970 * 1_000)
        for event in 0..<eventsPerBatch {
            let number = (sender * batchesPerSender + index) * eventsPerBatch + event
            let id = String(format: "00000000-0000-4000-8000-%012d", number)
            ids.append(id)
            events.append(
                #"{"e":"se","p":"srv","tv":"t","se_ca":"c","se_ac":"a","eid":"\#(id)","dtm":"\#(now)","stm":"\#(now)"}"#
            )
        }
        let body =
            #"{"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4","data":["#
            + events.joined(separator: ",") + "]}"
        return (Data(body.utf8), ids)
    }

    /// What the collector answered to one batch.
    enum Answer {
        case stored(stored: Int, duplicates: Int)
        /// No 200 with counts: the reason (status and body, or the transport error).
        case refused(String)

        var counts: (stored: Int, duplicates: Int)? {
            if case .stored(let stored, let duplicates) = self { return (stored, duplicates) }
            return nil
        }
    }

    /// Posts one batch.
    static func send(_ body: Data, to baseURL: String) async -> Answer {
        var request = URLRequest(url: URL(string: baseURL + "/com.snowplowanalytics.snowplow/tp2")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = body
        // Generous: under a sanitizer with every server suite running beside it, an answer can take many seconds,
        // and this test is about what is stored, not how fast (a kill ends the requests in flight at once).
        request.timeoutInterval = 300
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            return .refused("no answer: \(error)")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard status == 200, let answer = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let stored = answer["stored"] as? Int, let duplicates = answer["duplicates"] as? Int
        else { return .refused("HTTP \(status): \(String(decoding: data.prefix(500), as: UTF8.self))") }
        return .stored(stored: stored, duplicates: duplicates)
    }

    @Test func everyAcknowledgedBatchSurvivesAndNoneIsStoredTwice() async throws {
        let folder = try TestEnvironment.makeTemporaryDirectory("tally-collect-kill")
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = try await CollectProcess.start(in: folder)
        defer { first.process.send(SIGKILL) }
        let acknowledged = Locked<[Int: Int]>([:])  // sender → batches acknowledged, in order

        // Phase 1: senders stream batches until the collector stops answering.
        let streams = Task {
            await withTaskGroup(of: Void.self) { group in
                for sender in 0..<Self.senders {
                    group.addTask {
                        for index in 0..<Self.batchesPerSender {
                            guard
                                await Self.send(Self.batch(sender: sender, index: index).body, to: first.baseURL)
                                    .counts != nil
                            else { return }
                            acknowledged.withLock { $0[sender] = index + 1 }
                        }
                    }
                }
            }
        }
        // Killed mid-stream: once a quarter of the batches are acknowledged.
        let quarter = Self.senders * Self.batchesPerSender / 4
        #expect(
            await TestEnvironment.waitUntil(limit: .seconds(120)) {
                acknowledged.withLock { $0.values.reduce(0, +) } >= quarter
            })
        first.process.send(SIGKILL)
        await streams.value
        let acked = acknowledged.withLock { $0 }
        let ackedCount = acked.values.reduce(0, +)
        #expect(ackedCount < Self.senders * Self.batchesPerSender, "the collector was killed before the end")

        // Restarted on the same warehouse: every acknowledged event is there.
        let second = try await CollectProcess.start(in: folder)
        defer { second.process.send(SIGKILL) }
        let storedIDs = Set(
            try await second.query("SELECT event_id FROM events").compactMap { $0["event_id"] as? String })
        var missing = 0
        for (sender, batches) in acked {
            for index in 0..<batches {
                missing += Self.batch(sender: sender, index: index).ids.filter { !storedIDs.contains($0) }.count
            }
        }
        #expect(missing == 0, "acknowledged events lost")
        #expect(storedIDs.count >= ackedCount * Self.eventsPerBatch)

        // Phase 2: each sender resends from its first unacknowledged batch; what was stored but not acknowledged
        // (the batch in flight at the kill) comes back as duplicates, nothing twice.
        var stored = 0
        var duplicates = 0
        for sender in 0..<Self.senders {
            for index in (acked[sender] ?? 0)..<Self.batchesPerSender {
                let answer = await Self.send(Self.batch(sender: sender, index: index).body, to: second.baseURL)
                guard let counts = answer.counts else {
                    // The restarted collector's own account (a sanitizer report, an error it logged) says why.
                    let log = (try? String(contentsOf: second.log, encoding: .utf8)) ?? ""
                    // A sanitizer's report is shown whole (its stacks are what says why); any other log, its end.
                    let report = log.range(of: "WARNING: ThreadSanitizer").map { String(log[$0.lowerBound...]) }
                    let why =
                        "the restarted collector refused batch \(index) of sender \(sender): \(answer); "
                        + "running: \(second.process.isRunning); its log ends:\n\(report ?? String(log.suffix(4_000)))"
                    Issue.record(Comment(rawValue: why))
                    return
                }
                stored += counts.stored
                duplicates += counts.duplicates
            }
        }
        let total = Self.senders * Self.batchesPerSender * Self.eventsPerBatch
        #expect(try await second.count("SELECT count(*) AS n FROM events") == total)
        #expect(try await second.count("SELECT count(DISTINCT event_id) AS n FROM events") == total)
        #expect(duplicates == storedIDs.count - ackedCount * Self.eventsPerBatch, "the in-flight batches' events")
        #expect(stored + duplicates == total - ackedCount * Self.eventsPerBatch)
        print(
            "RELIABILITY scenario=11 acknowledged_batches=\(ackedCount) stored_unacknowledged_events=\(duplicates) "
                + "lost=\(missing) events=\(total)")
    }
}
