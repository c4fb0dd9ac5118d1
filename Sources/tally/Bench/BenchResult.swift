import Foundation
import InternalEvents

/// A benchmark's figures: printed as one JSON object, keys sorted, on the last line with `--json`.
protocol BenchResult: Encodable {}

extension BenchResult {
    func printJSONLine() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        print(String(decoding: try encoder.encode(self), as: UTF8.self))
    }
}
