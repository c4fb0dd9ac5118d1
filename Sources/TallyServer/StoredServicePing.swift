/// Where `GET service_ping` finds the payload: the newest ping stored in the last 7 days, or none.
///
/// `tally serve` reads ServicePing's `raw_usage_data` table (`RawUsageDataStore.newestPayload(in:clock:)`); an app
/// that mounts the routes passes whatever storage its worker writes to, so this module needs no SQL driver.
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
}
