import Foundation
import InternalEvents
import TallyTestSupport
import Testing

/// The validated-catalog cache: a hit gives the same catalog, any change a load depends on is a miss, and nothing
/// about the cache can make a load fail or go stale.
@Suite("Definitions cache")
struct DefinitionCacheTests {
    let folder: DefinitionFolder
    let cacheFolder: URL
    var cache: DefinitionCache { DefinitionCache(directory: cacheFolder) }

    init() throws {
        folder = try DefinitionFolder()
        try folder.write(
            "events/e.yml",
            DefinitionFolder.event("e", extra: "additional_properties:\n  label:\n    description: l"))
        try folder.write(
            "metrics/m.yml",
            DefinitionFolder.metric("m.users", timeFrame: "[28d, 7d]", events: "- name: e\n  unique: user.id"))
        // Options in a deliberate key order, and a warning, so both must survive the cache.
        try folder.write(
            "metrics/db.yml",
            DefinitionFolder.databaseMetric("m.rows", extra: "options:\n  zeta: 1\n  alpha: [x, {b: 2, a: 1}]\n")
                + "unknown_field: 1\n")
        cacheFolder = try TestEnvironment.makeTemporaryDirectory("tally-cache")
    }

    func load(options: DefinitionLoader.Options = .init()) throws -> DefinitionCatalog {
        try DefinitionLoader(options: options).load(from: [folder.url], cache: cache)
    }

    @Test func aSecondLoadComesFromTheCacheAndEqualsTheFirst() throws {
        let first = try load()
        #expect(!first.summary.fromCache)
        let second = try load()
        #expect(second.summary.fromCache)
        #expect(second.events == first.events)
        #expect(second.metrics == first.metrics)
        #expect(second.warnings == first.warnings)
        #expect(second.warnings.contains { $0.field == "unknown_field" })
        #expect(second.metricFiles == first.metricFiles)
        #expect(second.rules(forEvent: "e") == first.rules(forEvent: "e"))
        let options = second.metric(keyPath: "m.rows")?.options
        #expect(
            options?.serialized() == #"{"table":null,"zeta":1,"alpha":["x",{"b":2,"a":1}]}"#
                || options?.serialized() == first.metric(keyPath: "m.rows")?.options?.serialized())
        #expect(options == first.metric(keyPath: "m.rows")?.options, "object key order survives")
    }

    @Test func changingAFileIsAMiss() throws {
        _ = try load()
        try folder.write(
            "metrics/m.yml", DefinitionFolder.metric("m.users", timeFrame: "7d", events: "- name: e\n  unique: user.id")
        )
        let changed = try load()
        #expect(!changed.summary.fromCache)
        #expect(changed.metrics.map(\.keyPath).contains("m.users"))
        #expect(!changed.metrics.map(\.keyPath).contains("m.users_weekly"))
        #expect(try load().summary.fromCache)
    }

    @Test func addingAFileUnderRemovedIsAMiss() throws {
        _ = try load()
        try folder.write("events/removed/old.yml", "anything: 1\n")
        let reloaded = try load()
        #expect(!reloaded.summary.fromCache)
        #expect(reloaded.summary.skippedRemovedFiles == 1)
    }

    @Test func otherOptionsAreAMiss() throws {
        _ = try load()
        #expect(!(try load(options: .init(productGroups: ["testing"]))).summary.fromCache)
        #expect(try load(options: .init(productGroups: ["testing"])).summary.fromCache)
    }

    @Test func aCorruptEntryIsAMissAndIsReplaced() throws {
        _ = try load()
        let entries = try FileManager.default.contentsOfDirectory(atPath: cacheFolder.path)
        #expect(entries.count == 1)
        try Data("{ not json".utf8).write(to: cacheFolder.appendingPathComponent(entries[0]))
        #expect(!(try load()).summary.fromCache)
        #expect(try load().summary.fromCache)
    }

    @Test func errorsAreNeverCached() throws {
        try folder.write("events/bad.yml", "description: [unclosed\n")
        for _ in 0..<2 {
            #expect(throws: DefinitionLoadError.self) { try load() }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: cacheFolder.path).isEmpty)
    }

    @Test func aCacheThatCantBeWrittenOnlyCostsTheParse() throws {
        let blocked = cacheFolder.appendingPathComponent("not-a-folder")
        try Data("x".utf8).write(to: blocked)
        let loader = DefinitionLoader()
        for _ in 0..<2 {
            let catalog = try loader.load(from: [folder.url], cache: DefinitionCache(directory: blocked))
            #expect(!catalog.summary.fromCache)
            #expect(catalog.events["e"] != nil)
        }
    }

    @Test func theStandardPlaceFollowsTheEnvironment() {
        #expect(DefinitionCache.standard(environment: ["TALLY_DEFINITIONS_CACHE": "off"]) == nil)
        #expect(DefinitionCache.standard(environment: ["TALLY_CACHE_DIR": "/x"])?.directory.path == "/x")
        #expect(
            DefinitionCache.standard(environment: ["XDG_CACHE_HOME": "/c", "HOME": "/h"])?.directory.path == "/c/tally")
        #expect(DefinitionCache.standard(environment: ["HOME": "/h"])?.directory.path == "/h/.cache/tally")
    }
}
