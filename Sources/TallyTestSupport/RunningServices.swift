import Logging
import ServiceLifecycle

extension TestEnvironment {
    /// Runs `services` in a `ServiceGroup` while `body` runs, then shuts them down gracefully and waits until they
    /// returned: how an app runs Tally's sinks, without signals.
    public static func withRunning<Result: Sendable>(
        _ services: [any Service], _ body: () async throws -> Result
    ) async throws -> Result {
        let group = ServiceGroup(
            configuration: .init(services: services, logger: Logger(label: "tally.test.services")))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let result: Result
            do {
                result = try await body()
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        }
    }
}
