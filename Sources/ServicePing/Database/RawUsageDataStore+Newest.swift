import Foundation
import InternalEvents

extension RawUsageDataStore {
    /// The newest payload stored in the last 7 days, as JSON text, or `nil`: what GitLab's `GET service_ping`
    /// answers. Opens a connection for the call, runs the migrations, and closes it.
    public static func newestPayload(
        in configuration: DatabaseConfiguration, clock: any WallClock = SystemWallClock()
    ) async throws -> String? {
        try await AppDatabase.withDatabase(configuration) { database in
            let store = RawUsageDataStore(database)
            try await store.migrate()
            return try await store.newest(since: clock.now().addingTimeInterval(-7 * 86_400))?.payload
        }
    }
}
