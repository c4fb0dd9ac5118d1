extension Duration {
    /// The duration in seconds, as a `Double` (for rates, logs and metrics).
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// The duration in whole nanoseconds, for APIs that take them (Dispatch, SwiftNIO's `TimeAmount`).
    public var inNanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
