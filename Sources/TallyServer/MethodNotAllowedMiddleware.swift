import HTTPTypes
import Hummingbird

/// Answers 405 Method Not Allowed, with an `Allow` header, for a known path asked with a method it doesn't serve
/// (the router alone would say 404, as if the path didn't exist). The body is `{ERROR_KEY: "…"}`.
public struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Path → the methods it serves.
    let allowed: [String: [HTTPRequest.Method]]
    /// The key of the JSON error's message (`error` in the usage-data API, `message` in the collector).
    let errorKey: String

    /// - Parameter routes: every route of the router (`router.routes`).
    public init(routes: [(path: String, method: HTTPRequest.Method)], errorKey: String = "error") {
        var allowed: [String: [HTTPRequest.Method]] = [:]
        for route in routes { allowed[route.path, default: []].append(route.method) }
        self.allowed = allowed
        self.errorKey = errorKey
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    )
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let path = request.uri.path.hasSuffix("/") ? String(request.uri.path.dropLast()) : request.uri.path
            guard let methods = allowed[path], !methods.contains(request.method) else { throw error }
            let allow = methods.map(\.rawValue).sorted().joined(separator: ", ")
            var response = Response.json(
                .object([(errorKey, .string("\(request.method.rawValue) is not allowed here; use \(allow)"))]),
                status: .methodNotAllowed)
            response.headers[.allow] = allow
            return response
        }
    }
}
