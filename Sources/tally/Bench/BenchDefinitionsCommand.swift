import ArgumentParser
import Foundation
import Hiredis
import InternalEvents
import Yams

/// `tally bench definitions`: load + validate time vs a plain Yams parse of the same files.
struct BenchDefinitionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "definitions",
        abstract: "Time loading and validating definitions against parsing the same files with Yams alone.",
        discussion: "Single-threaded, like the loader. Goal: GitLab's corpus loads and validates in under 0.3 s."
    )

    @Argument(help: "Definition folders (default: $TALLY_DEFINITIONS, else ./definitions).")
    var folders: [String] = []

    @Option(help: "Repetitions; medians are reported.")
    var runs = 15

    @Flag(help: "End with one JSON object on the last line.")
    var json = false

    func validate() throws {
        guard runs > 0 else { throw ValidationError("--runs must be positive, got \(runs)") }
    }

    func run() async throws {
        let resolved = DefinitionsOptions(folders: folders).resolvedFolders.map { URL(fileURLWithPath: $0) }
        let files = resolved.flatMap { folder in
            ["events", "metrics"].flatMap { Self.yamlFiles(under: folder.appendingPathComponent($0)) }
        }
        let clock = ContinuousClock()
        var loadTimes: [Double] = []
        var parseTimes: [Double] = []
        var metrics = 0
        for _ in 0..<runs {
            let start = clock.now
            let catalog = try DefinitionLoader().load(from: resolved)
            loadTimes.append((clock.now - start).inSeconds)
            metrics = catalog.metrics.count
            let parseStart = clock.now
            for file in files {
                _ = try Yams.load(yaml: String(decoding: try Data(contentsOf: file), as: UTF8.self))
            }
            parseTimes.append((clock.now - parseStart).inSeconds)
        }
        let result = Result(
            files: files.count, metrics: metrics, runs: runs, loadSeconds: BenchStatistics.median(loadTimes),
            yamsParseSeconds: BenchStatistics.median(parseTimes))
        print(
            "\(files.count) files (\(metrics) metrics): load + validate \(String(format: "%.1f", result.loadSeconds * 1000)) ms, Yams parse alone \(String(format: "%.1f", result.yamsParseSeconds * 1000)) ms, ratio \(String(format: "%.2f", result.ratio)) (median of \(runs); goal: load under 300 ms)"
        )
        if json { try result.printJSONLine() }
    }

    static func yamlFiles(under folder: URL) -> [URL] {
        guard let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else {
            return []
        }
        return enumerator.compactMap { $0 as? URL }.filter { ["yml", "yaml"].contains($0.pathExtension) }
    }

    struct Result: BenchResult {
        var benchmark = "definitions"
        var files: Int
        var metrics: Int
        var runs: Int
        var loadSeconds: Double
        var yamsParseSeconds: Double
        var ratio: Double

        init(files: Int, metrics: Int, runs: Int, loadSeconds: Double, yamsParseSeconds: Double) {
            self.files = files
            self.metrics = metrics
            self.runs = runs
            self.loadSeconds = loadSeconds
            self.yamsParseSeconds = yamsParseSeconds
            self.ratio = loadSeconds / yamsParseSeconds
        }
    }
}

extension DefinitionsOptions {
    init(folders: [String]) {
        self.init()
        self.folders = folders
    }
}
