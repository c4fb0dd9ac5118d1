import ArgumentParser
import Foundation
import ServicePing
import TallyCollector

/// The warehouse a command uses: `--warehouse-url`, else `TALLY_WAREHOUSE_URL`, else `sqlite://tally-warehouse.sqlite`.
struct WarehouseOptions: ParsableArguments {
    @Option(
        help:
            "Warehouse: sqlite://PATH (default sqlite://tally-warehouse.sqlite), postgres://user:password@host/db or clickhouse://user:password@host:8123/db (default: $TALLY_WAREHOUSE_URL)."
    )
    var warehouseURL: String?

    static let defaultURL = "sqlite://tally-warehouse.sqlite"

    var resolvedURL: String {
        if let warehouseURL { return warehouseURL }
        if let fromEnvironment = ProcessInfo.processInfo.environment["TALLY_WAREHOUSE_URL"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return Self.defaultURL
    }

    /// The warehouse, or a usage error naming the option.
    func warehouse() throws -> Warehouse {
        do {
            return Warehouse(configuration: try WarehouseConfiguration(url: resolvedURL))
        } catch {
            throw ValidationError("--warehouse-url: \(error.description)")
        }
    }
}
