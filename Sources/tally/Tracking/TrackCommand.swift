import ArgumentParser
import Hiredis
import InternalEvents
import Logging

/// `tally track EVENT …`: one event, direct mode, strict: written when the command returns, or exit 1 with why.
struct TrackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "track",
        abstract: "Track one event now (direct mode, strict validation), like the app's track() call.",
        discussion:
            "Prints the Redis keys written. Exits 1 with the reason for an unknown event, a wrong identifier or property, or a Redis failure."
    )

    @OptionGroup var event: EventArguments
    @OptionGroup var clock: ClockOptions
    @OptionGroup var redis: RedisOptions
    @OptionGroup var definitions: DefinitionsOptions

    func run() async throws {
        let catalog = try definitions.loadOrExit()
        let client = try redis.client(maximumConnections: 1)
        defer { client.close() }
        let planner = CounterWritePlanner(catalog: catalog, scheme: try redis.scheme(for: catalog))
        let recorder = RecordingEventSink()
        let tracker = Tracker(
            catalog: catalog, sinks: [DirectRedisCounterSink(redis: client, planner: planner), recorder],
            clock: try clock.clock(), logger: Logger(label: "tally.track") { _ in SwiftLogNoOpLogHandler() })
        let properties = try event.typedProperties()
        do {
            try await tracker.trackStrictly(
                event.event, user: event.user.map { UserID($0) }, project: event.project.map { ProjectID($0) },
                namespace: event.namespace.map { NamespaceID($0) }, additionalProperties: properties)
        } catch {
            StandardError.print("tally track: \(error)")
            throw ExitCode.failure
        }
        for tracked in recorder.events {
            for write in planner.writes(for: tracked) { print(write.summary) }
        }
    }
}

extension CounterWrite {
    /// `INCR {event_counters}_x`, `PFADD {hll_counters}_x-user-2025-07 42`, …
    var summary: String {
        commands.map(\.description).joined(separator: " ; ")
    }
}
