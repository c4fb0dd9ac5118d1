import ArgumentParser
import Foundation
import InternalEvents
import TallyCollector

/// `tally query "SQL"`: read-only SQL against the warehouse, printed as a table, JSON or CSV.
struct QueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Run read-only SQL against the warehouse that tally collect fills.",
        discussion: """
            Tables: pings, ping_metrics, ping_metadata, ping_errors; views fct_ping_instance_metric \
            (dim_instance_id, metrics_path, metric_value, ping_created_at, …) and latest_pings_per_week. \
            Statements that write are refused.
            """
    )

    @Argument(help: "One SQL statement.")
    var sql: String

    @OptionGroup var warehouse: WarehouseOptions

    @Flag(help: "Print the rows as a JSON array of objects.")
    var json = false

    @Flag(help: "Print the rows as CSV, with a header line.")
    var csv = false

    func validate() throws {
        if json && csv { throw ValidationError("--json and --csv can't be combined") }
        if sql.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw ValidationError("the SQL statement is empty")
        }
    }

    func run() async throws {
        let store = try warehouse.warehouse()
        let result: QueryResult
        do {
            result = try await store.query(sql)
        } catch let error as QueryError {
            StandardError.print("tally query: \(error.description)")
            throw ExitCode.failure
        } catch {
            StandardError.print("tally query: the warehouse \(store.configuration.redactedURL) failed: \(error)")
            throw ExitCode.failure
        }
        if json {
            print(QueryOutput.json(result))
        } else if csv {
            print(QueryOutput.csv(result), terminator: "")
        } else {
            print(QueryOutput.table(result), terminator: "")
        }
    }
}

/// The three ways `tally query` prints a result.
enum QueryOutput {
    static func json(_ result: QueryResult) -> String {
        JSONValue.array(result.rows.map { row in .object(Array(zip(result.columns, row)).map { ($0.0, $0.1) }) })
            .serialized()
    }

    static func csv(_ result: QueryResult) -> String {
        func field(_ text: String) -> String {
            guard text.contains(where: { ",\"\n\r".contains($0) }) else { return text }
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        var lines = [result.columns.map(field).joined(separator: ",")]
        lines += result.rows.map { row in row.map { field(text($0)) }.joined(separator: ",") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Columns padded to their widest cell, numbers right-aligned, then `(N rows)`.
    static func table(_ result: QueryResult) -> String {
        let cells = result.rows.map { $0.map(text) }
        var widths = result.columns.map(\.count)
        for row in cells {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ values: [String], numeric: [Bool]) -> String {
            values.enumerated().map { index, value in
                let pad = String(repeating: " ", count: widths[index] - value.count)
                return numeric[index] ? pad + value : value + pad
            }.joined(separator: " | ").replacingOccurrences(of: #"\s+$"#, with: "", options: .regularExpression)
        }
        var output = ""
        if !result.columns.isEmpty {
            output += line(result.columns, numeric: result.columns.map { _ in false }) + "\n"
            output += widths.map { String(repeating: "-", count: $0) }.joined(separator: "-+-") + "\n"
        }
        for (row, values) in zip(result.rows, cells) {
            output +=
                line(
                    values,
                    numeric: row.map {
                        if case .integer = $0 { true } else if case .double = $0 { true } else { false }
                    }) + "\n"
        }
        output += "(\(result.rows.count) row\(result.rows.count == 1 ? "" : "s"))\n"
        return output
    }

    static func text(_ value: JSONValue) -> String {
        switch value {
        case .null: ""
        case .string(let text): text
        case .integer(let number): String(number)
        case .double(let number):
            number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .bool(let flag): flag ? "true" : "false"
        default: value.serialized()
        }
    }
}
