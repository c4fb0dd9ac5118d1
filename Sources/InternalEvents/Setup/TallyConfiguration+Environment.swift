import Foundation

extension TallyConfiguration {
    /// A setting that can't be used, naming the variable and what was expected.
    public struct InvalidSetting: Error, Sendable, Hashable, CustomStringConvertible {
        /// The environment variable (or setting) at fault.
        public var name: String
        public var message: String
        public var description: String { "\(name): \(message)" }
    }

    /// `defaults` with every `TALLY_*` variable that is set (and not empty) applied over it: `TALLY_REDIS_URL`,
    /// `TALLY_DEFINITIONS` (colon-separated), `TALLY_KEY_PREFIX`, `TALLY_KEY_LAYOUT` (`gitlab` or `spread`),
    /// `TALLY_COUNTING` (`buffered` or `direct`),
    /// `TALLY_DATABASE_URL`, `TALLY_COLLECTOR_URL`, `TALLY_SUBMIT` (`1` or `0`), `TALLY_EVENT_RECORDS_URL`.
    /// - Throws: `InvalidSetting` naming the variable whose value can't be used.
    public static func environment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment, defaults: TallyConfiguration = .init()
    ) throws(InvalidSetting) -> TallyConfiguration {
        var configuration = defaults
        func value(_ name: String) -> String? {
            guard let value = environment[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else {
                return nil
            }
            return value
        }
        if let url = value("TALLY_REDIS_URL") { configuration.redisURL = url }
        if let folders = value("TALLY_DEFINITIONS") {
            configuration.definitions = folders.split(separator: ":").map(String.init)
        }
        if let prefix = environment["TALLY_KEY_PREFIX"] { configuration.keyPrefix = prefix }
        if let layout = value("TALLY_KEY_LAYOUT") {
            guard let parsed = CounterKeyScheme.Layout(rawValue: layout) else {
                throw InvalidSetting(name: "TALLY_KEY_LAYOUT", message: "expected gitlab or spread, found \(layout)")
            }
            configuration.keyLayout = parsed
        }
        switch value("TALLY_COUNTING") {
        case nil: break
        case "buffered":
            if case .direct = configuration.counting { configuration.counting = .buffered(.init()) }
        case "direct": configuration.counting = .direct
        case let other?:
            throw InvalidSetting(name: "TALLY_COUNTING", message: "expected buffered or direct, found \(other)")
        }
        if let url = value("TALLY_DATABASE_URL") { configuration.databaseURL = url }
        if let url = value("TALLY_COLLECTOR_URL") { configuration.collectorURL = url }
        switch value("TALLY_SUBMIT") {
        case nil: break
        case "1", "true": configuration.submitsServicePing = true
        case "0", "false": configuration.submitsServicePing = false
        case let other?: throw InvalidSetting(name: "TALLY_SUBMIT", message: "expected 1 or 0, found \(other)")
        }
        if let url = value("TALLY_EVENT_RECORDS_URL") { configuration.eventRecordsURL = url }
        return configuration
    }
}
