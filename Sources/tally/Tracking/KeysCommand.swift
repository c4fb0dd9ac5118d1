import ArgumentParser
import InternalEvents

/// `tally keys EVENT`: the exact keys an event writes, and the redis-cli commands to look at them.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Print the Redis keys an event writes (for its identifiers and properties) and how to inspect them."
    )

    @OptionGroup var event: EventArguments
    @OptionGroup var clock: ClockOptions
    @OptionGroup var definitions: DefinitionsOptions

    /// Only its key prefix is used: nothing connects.
    @OptionGroup var redis: RedisOptions

    func run() async throws {
        let catalog = try definitions.loadOrExit()
        guard catalog.events[event.event] != nil else {
            StandardError.print("tally keys: Unknown event: \(event.event)")
            throw ExitCode.failure
        }
        let scheme = try redis.scheme(for: catalog)
        let now = try clock.clock().now()
        let week = ISOWeek(containing: now)
        print("event \(event.event), ISO week \(week) (UTC)")
        for rule in catalog.rules(forEvent: event.event) {
            let key = scheme.key(for: rule, week: week)
            let readers = catalog.metrics.filter { $0.selectionRules.contains(rule) }.map(\.keyPath)
            print("")
            print("\(key)")
            print("  rule:    \(rule.summary)\(rule.isTimeFramed ? ", weekly" : ", all time")")
            print(
                "  metrics: \(readers.isEmpty ? "(implicit total, read by no metric)" : readers.joined(separator: ", "))"
            )
            switch rule.kind {
            case .total, .sum:
                print("  inspect: redis-cli GET '\(key)'" + (rule.isTimeFramed ? " ; redis-cli TTL '\(key)'" : ""))
            case .unique:
                print("  inspect: redis-cli PFCOUNT '\(key)' ; redis-cli TTL '\(key)'")
            case .uniqueTotal:
                print("  inspect: redis-cli HGETALL '\(key)'" + (rule.isTimeFramed ? " ; redis-cli TTL '\(key)'" : ""))
            }
        }
    }
}
