import ArgumentParser
import InternalEvents

/// `tally bench …`: performance measured as ratios against a baseline in the same run.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Tally against a baseline on the same machine, in the same run.",
        discussion:
            "Build in release mode for meaningful figures: swift build -c release. Results go in BENCHMARKS.md.",
        subcommands: [
            BenchRedisCommand.self, BenchDefinitionsCommand.self, BenchTrackCommand.self, BenchServeCommand.self,
            BenchCollectCommand.self, BenchDashboardCommand.self, BenchClusterCommand.self,
        ]
    )
}
