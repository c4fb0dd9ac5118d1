import Foundation
import InternalEvents
import PostgresKit

/// The app database: SQLite by default (a file), PostgreSQL by URL.
///
/// `sqlite:///var/lib/tally/tally.sqlite` (absolute path), `sqlite://relative/path.sqlite`, `sqlite::memory:`;
/// `postgres://user:password@host:5432/database` (also `postgresql://`, and `?sslmode=disable|prefer|require`).
public struct DatabaseConfiguration: Sendable {
    public enum Kind: Sendable {
        case sqlite(path: String?)
        case postgres(SQLPostgresConfiguration)
    }

    public let kind: Kind
    /// The URL with any password replaced by `***`.
    public let redactedURL: String

    /// The default database: `sqlite://tally.sqlite` in the working directory.
    public static let defaultURL = "sqlite://tally.sqlite"

    /// A problem with a database URL.
    public struct InvalidURL: Error, CustomStringConvertible {
        public var description: String
    }

    public init(url: String) throws(InvalidURL) {
        if url == "sqlite::memory:" {
            kind = .sqlite(path: nil)
            redactedURL = url
            return
        }
        if url.hasPrefix("sqlite://") {
            let path = String(url.dropFirst("sqlite://".count))
            guard !path.isEmpty else {
                throw InvalidURL(
                    description: "database URL \(url): missing the file path (sqlite:///absolute/path.sqlite)")
            }
            kind = .sqlite(path: path)
            redactedURL = url
            return
        }
        guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else {
            throw InvalidURL(
                description: "database URL \(Self.redact(url)): expected sqlite://PATH, sqlite::memory: or postgres://…"
            )
        }
        let normalized = url.hasPrefix("postgresql://") ? "postgres://" + url.dropFirst("postgresql://".count) : url
        guard let configuration = try? SQLPostgresConfiguration(url: normalized) else {
            throw InvalidURL(
                description:
                    "database URL \(Self.redact(url)): not a valid postgres://user:password@host:port/database URL")
        }
        kind = .postgres(configuration)
        redactedURL = Self.redact(url)
    }

    static func redact(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return "(unparsable URL)" }
        if components.password != nil { components.password = "***" }
        return components.string ?? "(unparsable URL)"
    }
}
