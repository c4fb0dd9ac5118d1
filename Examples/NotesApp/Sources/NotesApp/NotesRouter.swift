import HTTPTypes
import Hummingbird
import InternalEvents
import TallyServer

/// The request header this example takes as its sign-in (a real app has sessions or tokens).
public let signedInUserHeader = HTTPField.Name("X-User-Id")!

/// The app's routes: its own (`POST /projects/:project/notes`, which tracks `create_note`) and GitLab's
/// `/api/v4/usage_data/…`, mounted behind the app's own authentication.
///
/// Takes the `Tracker`, not a Redis connection: production passes `Tally`'s tracker, tests a `TallyRecorder`'s.
public func buildRouter(tracker: Tracker, catalog: DefinitionCatalog) throws -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.post("/projects/:project/notes") { request, context -> HTTPResponse.Status in
        guard let user = signedInUser(request) else { throw HTTPError(.unauthorized) }
        let project = try context.parameters.require("project", as: Int64.self)
        // … store the note …
        tracker.track("create_note", user: user, project: ProjectID(project), additionalProperties: ["label": "api"])
        return .created
    }
    let usageData = UsageDataAPI<BasicRequestContext>(
        tracker: tracker, metricDefinitions: try MetricDefinitionsDocument(catalog: catalog)
    ) { request, _ in
        // A signed-in browser session: its events are about that user, who can't name another one.
        signedInUser(request).map { TallyCaller(user: $0) }
    }
    usageData.addRoutes(to: router)
    return router
}

func signedInUser(_ request: Request) -> UserID? {
    request.headers[signedInUserHeader].flatMap { Int64($0) }.map { UserID($0) }
}
