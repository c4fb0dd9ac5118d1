import InternalEvents
import ServiceLifecycle

/// A Tally `BackgroundService` as a swift-service-lifecycle `Service`: the group's graceful shutdown becomes the
/// service's `requestShutdown()`, so it does its last flush and returns; cancellation is passed on as is (the last
/// flush still runs).
///
/// Get one with `sink.service` or, for all of Tally's parts, `tally.services`.
public struct LifecycleService<Base: BackgroundService>: Service, CustomStringConvertible {
    /// The service run.
    public let base: Base

    public init(_ base: Base) {
        self.base = base
    }

    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await base.run()
        } onGracefulShutdown: {
            base.requestShutdown()
        }
    }

    /// The base's type name, as `ServiceGroup` logs it.
    public var description: String { String(describing: Base.self) }
}

extension BackgroundService {
    /// This service for a `ServiceGroup`: graceful shutdown asks it to finish.
    public var service: LifecycleService<Self> { LifecycleService(self) }
}

extension Tally {
    /// Tally's parts for the app's `ServiceGroup`: the counter sink, then the extra sinks given at init, each
    /// flushing its last events on graceful shutdown.
    public var services: [any Service] {
        backgroundServices.map { lifecycleService(for: $0) }
    }
}

/// Opens the existential, so the service keeps its base's type (and its name in `ServiceGroup`'s logs).
private func lifecycleService(for base: some BackgroundService) -> any Service {
    LifecycleService(base)
}
