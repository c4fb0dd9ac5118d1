import InternalEvents

/// Chooses each metric's instrumentation: Tally's own for Redis counters, database row counts declared in
/// `options.table` (see `DatabaseMetricSpec`) and system values, and the host app's for everything else, registered by
/// GitLab's `instrumentation_class` name (GitLab's Ruby classes become Swift).
///
/// A metric whose class nobody registered is reported (-1 and the reason in the metadata), never guessed.
public struct InstrumentationRegistry: Sendable {
    /// App code computing one metric's value. Throw `MetricFailure` to choose the fallback; any other error gives -1.
    public typealias Instrumentation = @Sendable (MetricDefinition, PingContext) async throws -> JSONValue

    private var registered: [String: Instrumentation] = [:]

    /// A registry with Tally's system metrics: `UuidMetric`, `HostnameMetric`, `VersionMetric`,
    /// `InstallationTypeMetric`, `EditionMetric`.
    public init() {}

    /// Registers `instrumentation` for metrics whose `instrumentation_class` is `className`; replaces an earlier one.
    public mutating func register(_ className: String, _ instrumentation: @escaping Instrumentation) {
        registered[className] = instrumentation
    }

    /// The class names the app registered.
    public var registeredClassNames: [String] { registered.keys.sorted() }

    static let systemClasses: [String: @Sendable (SystemInfo) -> JSONValue] = [
        "UuidMetric": { .string($0.uuid) },
        "HostnameMetric": { .string($0.hostname) },
        "VersionMetric": { .string($0.version) },
        "InstallationTypeMetric": { .string($0.installationType) },
        "EditionMetric": { .string($0.edition) },
    ]

    /// How `metric` gets its value.
    public func computation(for metric: MetricDefinition, context: PingContext) -> MetricComputation {
        if metric.dataSource == .internalEvents {
            return InternalEventsInstrumentation.computation(for: metric, context: context)
        }
        if metric.dataSource == .database && metric.options?["table"] != nil
            && (metric.instrumentationClass.map { registered[$0] == nil } ?? true)
        {
            do {
                return .database(try DatabaseMetricSpec(options: metric.options))
            } catch {
                return .failure(error)
            }
        }
        guard let className = metric.instrumentationClass else {
            if metric.dataSource == .redisHLL { return LegacyRedisInstrumentations.hll(for: metric, context: context) }
            return .failure(
                MetricFailure("no instrumentation_class; register one for data_source \(metric.dataSource.rawValue)"))
        }
        if let instrumentation = registered[className] {
            return .compute { try await instrumentation(metric, context) }
        }
        switch className {
        case "RedisHLLMetric", "AggregatedMetric": return LegacyRedisInstrumentations.hll(for: metric, context: context)
        case "RedisMetric": return LegacyRedisInstrumentations.counter(for: metric, context: context)
        default: break
        }
        if let system = Self.systemClasses[className] { return .value(system(context.system)) }
        return .failure(MetricFailure("no instrumentation registered for \(className)"))
    }
}
