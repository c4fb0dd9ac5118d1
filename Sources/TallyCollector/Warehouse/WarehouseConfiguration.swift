import ServicePing

/// Which warehouse `tally collect` keeps its data in: SQLite or PostgreSQL (through SQLKit), or ClickHouse
/// (through its HTTP interface).
///
/// `sqlite://PATH`, `sqlite::memory:`, `postgres://user:password@host:5432/db`,
/// `clickhouse://user:password@host:8123/db[?cluster=NAME]`.
public struct WarehouseConfiguration: Sendable {
    public enum Kind: Sendable {
        case sql(DatabaseConfiguration)
        case clickhouse(ClickHouseConfiguration)
    }

    public let kind: Kind

    public init(_ kind: Kind) { self.kind = kind }

    /// Reads a warehouse URL; the error says what is wrong with it.
    public init(url: String) throws(InvalidURL) {
        if url.hasPrefix("clickhouse://") {
            do {
                kind = .clickhouse(try ClickHouseConfiguration(url: url))
            } catch {
                throw InvalidURL(description: "warehouse URL \(url.redactingPassword): \(error.description)")
            }
            return
        }
        do {
            kind = .sql(try DatabaseConfiguration(url: url))
        } catch {
            throw InvalidURL(description: error.description + ", or clickhouse://…")
        }
    }

    /// The URL with any password replaced by `***`.
    public var redactedURL: String {
        switch kind {
        case .sql(let configuration): configuration.redactedURL
        case .clickhouse(let configuration): configuration.redactedURL
        }
    }

    /// The SQL dialect queries are written in.
    public var dialect: WarehouseDialect {
        switch kind {
        case .sql(let configuration):
            if case .postgres = configuration.kind { return .postgres }
            return .sqlite
        case .clickhouse: return .clickhouse
        }
    }

    /// A problem with a warehouse URL.
    public struct InvalidURL: Error, CustomStringConvertible {
        public var description: String
    }
}

/// The SQL the warehouse speaks.
public enum WarehouseDialect: Sendable, Equatable {
    case sqlite, postgres, clickhouse
}

extension String {
    /// A URL with its password (between `:` and `@` after the scheme) replaced by `***`.
    fileprivate var redactingPassword: String {
        guard let scheme = range(of: "://"), let at = self[scheme.upperBound...].firstIndex(of: "@"),
            let colon = self[scheme.upperBound..<at].firstIndex(of: ":")
        else { return self }
        return String(self[..<index(after: colon)]) + "***" + String(self[at...])
    }
}
