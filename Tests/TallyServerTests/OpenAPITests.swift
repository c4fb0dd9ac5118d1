import EventRecords
import Foundation
import Hummingbird
import InternalEvents
import ServicePing
import TallyServer
import TallyTestSupport
import Testing
import Yams

/// `openapi.yaml` describes exactly the routes the server has.
@Suite("OpenAPI document")
struct OpenAPITests {
    @Test("every route is in openapi.yaml and every documented operation is a route")
    func routesMatchTheDocument() async throws {
        let url = DefinitionFolder.packageRoot.appendingPathComponent("openapi.yaml")
        let document = try #require(try Yams.load(yaml: try String(contentsOf: url, encoding: .utf8)) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]
        let documented = Set(
            paths.flatMap { path, operations in
                operations.keys.filter(methods.contains).map { "\($0.uppercased()) \(path)" }
            })

        let folder = try DefinitionFolder()
        try folder.write("events/e.yml", DefinitionFolder.event("e"))
        let catalog = try DefinitionLoader().load(from: [folder.url])
        let router = buildTallyRouter(
            TallyServerConfiguration(tokens: AccessTokens(eventTokens: ["t"])),
            dependencies: TallyServerDependencies(
                tracker: Tracker(catalog: catalog, sinks: []),
                metricDefinitions: try MetricDefinitionsDocument(catalog: catalog)))
        let served = Set(router.routes.map { "\($0.method.rawValue) \($0.path)" })
        #expect(
            served == documented,
            "served only: \(served.subtracting(documented)); documented only: \(documented.subtracting(served))")
        #expect(served.count == 7)
    }
}
