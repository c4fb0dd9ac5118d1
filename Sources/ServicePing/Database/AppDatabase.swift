import Foundation
import InternalEvents
import Logging
import PostgresKit
import SQLKit
import SQLiteKit

/// An open connection to the app database, with the SQL dialect's few differences Tally needs.
///
/// SQLite calls run on SwiftNIO's thread pool and PostgreSQL's on its event loops, so neither blocks Swift's
/// cooperative pool. Open one per job (a ping, a storage call) with `withDatabase`; connections are cheap next to a
/// weekly ping.
public struct AppDatabase: Sendable {
    public enum Dialect: Sendable {
        case sqlite, postgres
    }

    /// SQLKit's face of the connection.
    public let sql: any SQLDatabase
    public let dialect: Dialect

    /// Opens the database, runs `body`, and closes it again.
    /// - Parameter sqliteFunctions: SQL functions installed on a SQLite connection before `body` runs.
    public static func withDatabase<Result: Sendable>(
        _ configuration: DatabaseConfiguration, logger: Logger = Logger(label: "tally.database"),
        sqliteFunctions: [SQLiteCustomFunction] = [],
        _ body: @Sendable (AppDatabase) async throws -> Result
    ) async throws -> Result {
        switch configuration.kind {
        case .sqlite(let path):
            let connection = try await SQLiteConnection.open(
                storage: path.map { .file(path: $0) } ?? .memory, logger: logger)
            do {
                for function in sqliteFunctions { try await connection.install(customFunction: function) }
                let result = try await body(AppDatabase(sql: connection.sql(), dialect: .sqlite))
                try await connection.close()
                return result
            } catch {
                try? await connection.close()
                throw error
            }
        case .postgres(let postgres):
            let connection = try await PostgresConnection.connect(
                configuration: postgres.coreConfiguration, id: 1, logger: logger)
            do {
                let result = try await body(AppDatabase(sql: connection.sql(), dialect: .postgres))
                try await connection.close()
                return result
            } catch {
                try? await connection.close()
                throw error
            }
        }
    }
}
