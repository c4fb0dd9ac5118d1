import ArgumentParser
import InternalEvents

/// The `tally` command line.
@main
struct TallyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tally",
        abstract: "GitLab-style internal analytics for Swift server apps: counters in Redis, a weekly Service Ping.",
        discussion: """
            Environment:
              TALLY_REDIS_URL   Redis server (default \(RedisOptions.defaultURL)); redis://[user:password@]host:port[/db] or unix:///path/redis.sock[?db=N]
            """,
        version: TallyVersion.current,
        subcommands: [
            DoctorCommand.self, DefinitionsCommand.self, TrackCommand.self, KeysCommand.self, PingCommand.self,
            MetricCommand.self, WorkerCommand.self, ServeCommand.self, CollectCommand.self, QueryCommand.self,
            BenchCommand.self,
        ]
    )
}
