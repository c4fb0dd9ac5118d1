import Foundation
import ServicePing

/// Where `GET service_ping` finds the payload: the newest ping stored in the last 7 days, or none.
public struct StoredServicePing: Sendable {
    private let read: @Sendable () async throws -> String?

    /// A custom source (the host app's own storage).
    public init(_ read: @escaping @Sendable () async throws -> String?) {
        self.read = read
    }

    /// The newest payload, as stored JSON text, or `nil` when none was stored in the last 7 days.
    public func newestPayload() async throws -> String? {
        try await read()
    }

    /// The `raw_usage_data` table the worker writes to (DESIGN.md §5), read through a connection per call.
    public static func database(
        _ configuration: DatabaseConfiguration, clock: any WallClock = SystemWallClock()
    ) -> StoredServicePing {
        StoredServicePing {
            try await AppDatabase.withDatabase(configuration) { database in
                let store = RawUsageDataStore(database)
                try await store.migrate()
                return try await store.newest(since: clock.now().addingTimeInterval(-7 * 86_400))?.payload
            }
        }
    }
}
