import Foundation
import InternalEvents

/// One Service Ping: the payload and, for every metric, how long it took and why it failed.
public struct ServicePingReport: Sendable {
    /// One metric's entry in the metadata.
    public struct MetricMetadata: Sendable, Hashable {
        /// The metric's key path.
        public var name: String
        /// Seconds spent on it. Metrics read together in the ping's Redis pipeline share its time equally.
        public var timeElapsed: Double
        /// Why it fell back to -1/-2, if it did.
        public var error: String?

        public init(name: String, timeElapsed: Double, error: String? = nil) {
            self.name = name
            self.timeElapsed = timeElapsed
            self.error = error
        }
    }

    /// GitLab's payload: `recorded_at` first, the metrics nested by key path, `recording_ce_finished_at` last.
    public var payload: JSONValue
    /// Every reported metric, in payload order.
    public var metrics: [MetricMetadata]
    public var uuid: String
    public var recordedAt: Date
    /// Redis round trips the ping took (all reads go in one pipeline).
    public var redisRoundTrips: Int

    public init(payload: JSONValue, metrics: [MetricMetadata], uuid: String, recordedAt: Date, redisRoundTrips: Int) {
        self.payload = payload
        self.metrics = metrics
        self.uuid = uuid
        self.recordedAt = recordedAt
        self.redisRoundTrips = redisRoundTrips
    }

    /// GitLab's metadata document: `{"metadata": {"uuid", "metrics": [{"name", "time_elapsed", "error"?}]}}`.
    public var metadata: JSONValue {
        .object([
            (
                "metadata",
                .object([
                    ("uuid", .string(uuid)),
                    (
                        "metrics",
                        .array(
                            metrics.map { metric in
                                var fields: [(key: String, value: JSONValue)] = [
                                    ("name", .string(metric.name)), ("time_elapsed", .double(metric.timeElapsed)),
                                ]
                                if let error = metric.error { fields.append(("error", .string(error))) }
                                return .object(fields)
                            })
                    ),
                ])
            )
        ])
    }
}
