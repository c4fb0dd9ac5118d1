import ArgumentParser
import Foundation
import InternalEvents

/// `tally doctor`: checks what Tally needs and says what it found.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the Redis server, the definitions and the database, and report each problem.",
        discussion:
            "Exits 0 when nothing is wrong (warnings allowed), 1 when a check failed. Secrets are never printed."
    )

    @OptionGroup var redis: RedisOptions
    @OptionGroup var definitions: DefinitionsOptions
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        var report = DoctorReport()
        await RedisCheck(options: redis).run(into: &report)
        SetupChecks.definitions(definitions, into: &report)
        await SetupChecks.database(database, into: &report)
        print(report.rendered, terminator: "")
        if report.hasErrors { throw ExitCode.failure }
    }
}
