import ArgumentParser
import Foundation
import InternalEvents
import Yams

/// Settings from the YAML file named by `TALLY_CONFIG`. Flags win over environment variables, which win over the
/// file, which wins over the defaults.
///
/// ```yaml
/// redis_url: redis://127.0.0.1:6379
/// key_prefix: "myapp:"             # before every Redis key, as the app's TALLY_KEY_PREFIX
/// database_url: sqlite:///var/lib/tally/tally.sqlite
/// definitions: [definitions, plugins/billing/definitions]
/// collector_url: https://collector.example.com
/// submit: false                    # tally worker sends pings
/// generation: true                 # tally worker builds pings
/// include_optional_metrics: true
/// ```
struct ConfigFile: Decodable {
    var redisURL: String?
    var keyPrefix: String?
    var databaseURL: String?
    var definitions: [String]?
    var collectorURL: String?
    var submit: Bool?
    var generation: Bool?
    var includeOptionalMetrics: Bool?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case redisURL = "redis_url"
        case keyPrefix = "key_prefix"
        case databaseURL = "database_url"
        case definitions
        case collectorURL = "collector_url"
        case submit, generation
        case includeOptionalMetrics = "include_optional_metrics"
    }

    /// The file named by `TALLY_CONFIG`, read once; `nil` when the variable is unset.
    static let current: Result<ConfigFile?, ValidationError> = {
        guard let path = ProcessInfo.processInfo.environment["TALLY_CONFIG"], !path.isEmpty else {
            return .success(nil)
        }
        return Result { () throws(ValidationError) in try load(path) }.map { $0 }
    }()

    /// The current file, or a validation error that stops the command.
    static func settings() throws -> ConfigFile? {
        try current.get()
    }

    /// Where a setting from the file is said to come from, in messages.
    static var source: String {
        "TALLY_CONFIG (\(ProcessInfo.processInfo.environment["TALLY_CONFIG"] ?? ""))"
    }

    static func load(_ path: String) throws(ValidationError) -> ConfigFile {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ValidationError("TALLY_CONFIG: can't read \(path): \(error.localizedDescription)")
        }
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        do {
            guard let node = try Yams.compose(yaml: text), case .mapping(let mapping) = node else {
                throw ValidationError("TALLY_CONFIG: \(path) must hold a mapping of settings")
            }
            for key in mapping.keys {
                let name = key.scalar?.string ?? "\(key)"
                guard known.contains(name) else {
                    throw ValidationError(
                        "TALLY_CONFIG: \(path):\(key.mark?.line ?? 0): unknown setting \(name); expected one of \(known.sorted().joined(separator: ", "))"
                    )
                }
            }
            return try YAMLDecoder().decode(ConfigFile.self, from: text)
        } catch let error as ValidationError {
            throw error
        } catch let error as DecodingError {
            throw ValidationError("TALLY_CONFIG: \(path): \(Self.describe(error))")
        } catch {
            throw ValidationError("TALLY_CONFIG: \(path): \(error)")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            return "\(context.codingPath.map(\.stringValue).joined(separator: ".")): expected \(type)"
        case .dataCorrupted(let context):
            return "\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        case .keyNotFound(let key, _):
            return "\(key.stringValue) is missing"
        @unknown default:
            return "\(error)"
        }
    }
}
