import Foundation
import InternalEvents
import ServicePing

/// The definitions and database parts of `tally doctor`.
enum SetupChecks {
    static func definitions(_ options: DefinitionsOptions, into report: inout DoctorReport) {
        let folders = options.resolvedFolders
        do {
            let catalog = try options.loader.load(from: folders.map { URL(fileURLWithPath: $0) })
            let reported = catalog.metrics.filter { $0.status.isReported }.count
            report.ok(
                "definitions",
                "\(catalog.events.count) events and \(catalog.metrics.count) metrics (\(reported) reported) from \(folders.joined(separator: ", "))"
            )
            if !catalog.warnings.isEmpty {
                report.warn("definitions", "\(catalog.warnings.count) warnings; see tally definitions validate")
            }
        } catch {
            let errors = error.errors
            report.fail("definitions", "\(errors.count) errors in \(folders.joined(separator: ", ")); the first:")
            for diagnostic in errors.prefix(5) { report.fail("definitions", diagnostic.description) }
        }
    }

    static func database(_ options: DatabaseOptions, into report: inout DoctorReport) async {
        let configuration: DatabaseConfiguration
        do {
            configuration = try options.configuration()
        } catch {
            report.fail("database", "\(error)")
            return
        }
        if case .sqlite(let path?) = configuration.kind, !FileManager.default.fileExists(atPath: path) {
            // Opening would create the file; doctor only looks.
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            if FileManager.default.isWritableFile(atPath: directory.isEmpty ? "." : directory) {
                report.ok("database", "\(configuration.redactedURL): no file yet; the first stored ping creates it")
            } else {
                report.fail(
                    "database", "\(configuration.redactedURL): the file doesn't exist and \(directory) is not writable")
            }
            return
        }
        do {
            let stored = try await AppDatabase.withDatabase(configuration) { database in
                _ = try await database.sql.raw("SELECT 1 AS one").firstRow()
                let store = RawUsageDataStore(database)
                return try? await store.all().count
            }
            let source = options.resolvedURL.source
            report.ok(
                "database",
                "connected to \(configuration.redactedURL) (from \(source)); "
                    + (stored.map { "\($0) pings stored" } ?? "no raw_usage_data table yet (created by the first ping)")
            )
        } catch {
            report.fail("database", "\(configuration.redactedURL): \(String(reflecting: error).prefix(300))")
        }
    }
}
