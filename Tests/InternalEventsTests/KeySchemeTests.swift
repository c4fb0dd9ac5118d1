import Foundation
import InternalEvents
import Testing

/// GitLab's key names, from GITLAB-FACTS §1.2 (event written on Wednesday 2025-02-12, ISO week 2025-07).
@Suite("Counter key scheme")
struct KeySchemeTests {
    let week = ISOWeek(containing: Date(timeIntervalSince1970: 1_739_361_600))  // 2025-02-12T12:00Z

    @Test func gitLabsExamples() {
        let scheme = CounterKeyScheme()
        #expect(week.description == "2025-07")
        #expect(
            scheme.key(for: .init(name: "create_merge_request", isTimeFramed: false), week: week)
                == "{event_counters}_create_merge_request")
        #expect(
            scheme.key(for: .init(name: "create_merge_request", isTimeFramed: true), week: week)
                == "{event_counters}_create_merge_request-2025-07")
        #expect(
            scheme.key(for: .init(name: "create_merge_request", isTimeFramed: true, unique: .userID), week: week)
                == "{hll_counters}_create_merge_request-user-2025-07")
        #expect(
            scheme.key(
                for: .init(
                    name: "pull_package", isTimeFramed: true, filter: ["label": .string("rubygems")], unique: .projectID
                ), week: week)
                == "{hll_counters}_pull_package-filter:[label:rubygems]-project-2025-07")
        #expect(
            scheme.key(for: .init(name: "my_event", isTimeFramed: true, aggregation: .sumOfValue), week: week)
                == "{event_sums}_my_event-operator:sum(value)-2025-07")
        #expect(
            scheme.key(for: .init(name: "my_event", isTimeFramed: false, aggregation: .sumOfValue), week: week)
                == "{event_sums}_my_event-operator:sum(value)")
    }

    @Test func legacyAliases() {
        let scheme = CounterKeyScheme(
            aliases: LegacyKeyAliases(
                totalCounters: ["{event_counters}_create_merge_request": "USAGE_MERGE_REQUEST_CREATE"],
                rulePaths: [
                    "g_edit_by_web_ide-user": "g_edit_by_web_ide", "create_merge_request": "ignored_for_weekly_totals",
                ]))
        #expect(
            scheme.key(for: .init(name: "g_edit_by_web_ide", isTimeFramed: true, unique: .userID), week: week)
                == "{hll_counters}_g_edit_by_web_ide-2025-07")
        // The path alias applies to every rule; the total-counter alias only to the all-time key it names.
        #expect(
            scheme.key(for: .init(name: "create_merge_request", isTimeFramed: true), week: week)
                == "{event_counters}_ignored_for_weekly_totals-2025-07")
        let plain = CounterKeyScheme(
            aliases: LegacyKeyAliases(totalCounters: [
                "{event_counters}_create_merge_request": "USAGE_MERGE_REQUEST_CREATE"
            ]))
        #expect(
            plain.key(for: .init(name: "create_merge_request", isTimeFramed: false), week: week)
                == "USAGE_MERGE_REQUEST_CREATE")
        #expect(
            plain.key(for: .init(name: "create_merge_request", isTimeFramed: true), week: week)
                == "{event_counters}_create_merge_request-2025-07")
    }

    @Test func prefixGoesFirst() {
        let scheme = CounterKeyScheme(prefix: "app1:")
        #expect(
            scheme.key(for: .init(name: "e", isTimeFramed: true, unique: .label), week: week)
                == "app1:{hll_counters}_e-label-2025-07")
    }

    @Test func writesBecomeGitLabsCommands() {
        let writes: [CounterWrite] = [
            .increment(key: "{event_counters}_e", by: 1, weekly: false),
            .increment(key: "{event_counters}_e-2025-07", by: 3, weekly: true),
            .incrementFloat(key: "{event_sums}_e-operator:sum(value)", by: 2.5, weekly: false),
            .addUnique(key: "{hll_counters}_e-user-2025-07", members: ["42"]),
        ]
        #expect(
            RedisCounterCommands.pipeline(for: writes).map(\.description) == [
                "INCR {event_counters}_e",
                "INCRBY {event_counters}_e-2025-07 3",
                "EXPIRE {event_counters}_e-2025-07 3628800 NX",
                "INCRBYFLOAT {event_sums}_e-operator:sum(value) 2.5",
                "MULTI",
                "PFADD {hll_counters}_e-user-2025-07 42",
                "EXPIRE {hll_counters}_e-user-2025-07 3628800",
                "EXEC",
            ])
        let many = CounterWrite.addUnique(key: "h", members: (1...700).map(String.init)).commands
        #expect(many.map(\.name) == ["PFADD", "PFADD", "PFADD", "EXPIRE"], "at most 300 members per PFADD, as GitLab")
    }
}
