import ArgumentParser
import Foundation
import Hiredis
import InternalEvents
import Yams

/// `tally bench definitions`: load + validate time vs a plain Yams parse of the same files, and a load from the
/// validated-catalog cache.
struct BenchDefinitionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "definitions",
        abstract: "Time loading and validating definitions against parsing the same files with Yams alone.",
        discussion: """
            Single-threaded, like the loader (pin it to one core with taskset -c 0). Three timings, medians: a full \
            load + validate, Yams.compose of the same files (the baseline; goal: ratio at most 1.5), and a load \
            that finds its catalog in the cache (a temporary folder), which is what a tally command pays at start.
            """
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
        let loader = DefinitionLoader()
        let files = loader.definitionFiles(in: resolved)
        let cacheFolder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tally-bench-cache-\(ProcessInfo.processInfo.processIdentifier)")
        defer { try? FileManager.default.removeItem(at: cacheFolder) }
        let cache = DefinitionCache(directory: cacheFolder)
        let clock = ContinuousClock()
        var loadTimes: [Double] = []
        var parseTimes: [Double] = []
        var cachedTimes: [Double] = []
        var metrics = 0
        for run in 0..<runs {
            let start = clock.now
            let catalog = try loader.load(from: resolved)
            loadTimes.append((clock.now - start).inSeconds)
            metrics = catalog.metrics.count
            let parseStart = clock.now
            for file in files {
                _ = try Yams.compose(yaml: String(decoding: try Data(contentsOf: file), as: UTF8.self))
            }
            parseTimes.append((clock.now - parseStart).inSeconds)
            if run == 0 { _ = try loader.load(from: resolved, cache: cache) }
            let cachedStart = clock.now
            let cached = try loader.load(from: resolved, cache: cache)
            cachedTimes.append((clock.now - cachedStart).inSeconds)
            guard cached.summary.fromCache else {
                throw ValidationError("the cache in \(cacheFolder.path) could not be written; no cached timing")
            }
        }
        let result = Result(
            files: files.count, metrics: metrics, runs: runs, loadSeconds: BenchStatistics.median(loadTimes),
            yamsParseSeconds: BenchStatistics.median(parseTimes),
            cachedLoadSeconds: BenchStatistics.median(cachedTimes))
        func ms(_ seconds: Double) -> String { String(format: "%.1f ms", seconds * 1000) }
        print(
            "\(files.count) files (\(metrics) metrics): load + validate \(ms(result.loadSeconds)), Yams.compose alone \(ms(result.yamsParseSeconds)), ratio \(String(format: "%.2f", result.ratio)) (goal ≤ 1.5); from the cache \(ms(result.cachedLoadSeconds)) (median of \(runs))"
        )
        if json { try result.printJSONLine() }
    }

    struct Result: BenchResult {
        var benchmark = "definitions"
        var files: Int
        var metrics: Int
        var runs: Int
        var loadSeconds: Double
        var yamsParseSeconds: Double
        var ratio: Double
        var cachedLoadSeconds: Double

        init(
            files: Int, metrics: Int, runs: Int, loadSeconds: Double, yamsParseSeconds: Double,
            cachedLoadSeconds: Double
        ) {
            self.files = files
            self.metrics = metrics
            self.runs = runs
            self.loadSeconds = loadSeconds
            self.yamsParseSeconds = yamsParseSeconds
            self.ratio = loadSeconds / yamsParseSeconds
            self.cachedLoadSeconds = cachedLoadSeconds
        }
    }
}

extension DefinitionsOptions {
    init(folders: [String]) {
        self.init()
        self.folders = folders
    }
}
