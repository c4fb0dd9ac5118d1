import Foundation
import InternalEvents

/// A row count declared in a `data_source: database` metric's `options` (Tally's YAML form of GitLab's Ruby
/// `DatabaseMetric` classes):
///
/// ```yaml
/// options:
///   table: notes                 # required
///   operation: count             # count (default), distinct_count, sum, average
///   column: author_id            # counted/summed column; default id
///   conditions: {state: active}  # equality conditions, ANDed (null means IS NULL)
///   timestamp_column: created_at # for 7d/28d windows; default created_at
///   batch_column: id             # id ranges are batched over this; default id (the column itself for distinct)
///   start: 1                     # first id to count (GitLab's `start`); default MIN(batch_column)
///   finish: 5000000              # last id to count (GitLab's `finish`); default MAX(batch_column)
/// ```
public struct DatabaseMetricSpec: Sendable, Hashable {
    public enum Operation: String, Sendable, Hashable, CaseIterable {
        case count
        case distinctCount = "distinct_count"
        case sum
        case average
    }

    public var table: String
    public var operation: Operation
    public var column: String
    public var conditions: [(column: String, value: JSONValue)]
    public var timestampColumn: String
    public var batchColumn: String
    /// Fixed id bounds, instead of `MIN`/`MAX` queries.
    public var start: Int64?
    public var finish: Int64?

    public static func == (lhs: DatabaseMetricSpec, rhs: DatabaseMetricSpec) -> Bool {
        lhs.table == rhs.table && lhs.operation == rhs.operation && lhs.column == rhs.column
            && lhs.conditions.map(\.column) == rhs.conditions.map(\.column)
            && lhs.conditions.map(\.value) == rhs.conditions.map(\.value) && lhs.timestampColumn == rhs.timestampColumn
            && lhs.batchColumn == rhs.batchColumn
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(table)
        hasher.combine(operation)
        hasher.combine(column)
    }

    /// Reads the spec from a metric's `options`; the error names the option.
    public init(options: JSONValue?) throws(MetricFailure) {
        guard let options, case .object = options else {
            throw MetricFailure("database metrics need options.table (and operation, column, conditions…)")
        }
        guard let table = options["table"]?.string else { throw MetricFailure("options.table is missing") }
        let operationText = options["operation"]?.string ?? "count"
        guard let operation = Operation(rawValue: operationText) else {
            throw MetricFailure(
                "options.operation \"\(operationText)\" is not one of count, distinct_count, sum, average")
        }
        let column = options["column"]?.string ?? "id"
        if operation != .count && options["column"]?.string == nil {
            throw MetricFailure("options.column is required for \(operation.rawValue)")
        }
        var conditions: [(String, JSONValue)] = []
        if let given = options["conditions"] {
            guard case .object(let pairs) = given else {
                throw MetricFailure("options.conditions must be a mapping of column: value")
            }
            for pair in pairs {
                switch pair.value {
                case .array, .object: throw MetricFailure("options.conditions.\(pair.key) must be a single value")
                default: conditions.append((pair.key, pair.value))
                }
            }
        }
        self.table = table
        self.operation = operation
        self.column = column
        self.conditions = conditions
        self.timestampColumn = options["timestamp_column"]?.string ?? "created_at"
        self.batchColumn = operation == .distinctCount ? column : (options["batch_column"]?.string ?? "id")
        for (name, value) in [("start", options["start"]), ("finish", options["finish"])] {
            guard let value else { continue }
            guard case .integer(let number) = value, number >= 0 else {
                throw MetricFailure("options.\(name) must be a non-negative integer id")
            }
            if name == "start" { start = number } else { finish = number }
        }
        for (name, identifier) in [
            ("table", table), ("column", column), ("timestamp_column", timestampColumn), ("batch_column", batchColumn),
        ]
            + conditions.map({ ("conditions", $0.0) })
        {
            guard Self.isIdentifier(identifier) else {
                throw MetricFailure(
                    "options.\(name) \"\(identifier)\" is not a plain SQL identifier (letters, digits, _; schema.table allowed)"
                )
            }
        }
    }

    /// `name` or `schema.name`, letters, digits and underscores: safe to quote as an identifier.
    static func isIdentifier(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count) else { return false }
        return parts.allSatisfy { part in
            guard let first = part.unicodeScalars.first,
                first == "_" || (first.isASCII && first.properties.isAlphabetic)
            else {
                return false
            }
            return part.unicodeScalars.allSatisfy {
                $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)))
            }
        }
    }
}

/// GitLab's database windows: 7d = created 9..2 days before the ping, 28d = 30..2 days before.
public enum DatabaseTimeWindow {
    public static func bounds(for frame: TimeFrame, at date: Date) -> (start: Date, end: Date)? {
        let day: TimeInterval = 86_400
        switch frame {
        case .sevenDays: return (date - 9 * day, date - 2 * day)
        case .twentyEightDays: return (date - 30 * day, date - 2 * day)
        case .all, .none: return nil
        }
    }
}
