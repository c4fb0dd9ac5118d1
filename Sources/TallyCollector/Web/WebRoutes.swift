import Foundation
import Hummingbird
import Logging
import NIOCore

/// The pages of `tally collect`: server-rendered HTML that works without JavaScript.
///
/// - `GET /`: to `/events`;
/// - `GET /events`, `/metrics`, `/instances`: panels over the warehouse (`EventsPage`, `MetricsPage`,
///   `InstancesPage`); `?panel=ID&format=csv` exports one panel's rows;
/// - `GET /dashboards`, `/dashboards/NAME`: GitLab-format dashboards (`DashboardCatalog`, `DashboardPage`);
/// - `GET /dictionary` (and `/dictionary.json`): the metric definitions the collector was given.
///
/// A parameter a page can't use gets 400 naming it; a warehouse that can't answer, 503.
struct WebRoutes: Sendable {
    let warehouse: Warehouse
    let dictionary: MetricsDictionary
    let dashboards: DashboardCatalog
    let now: @Sendable () -> Date
    let logger: Logger

    func add(to router: Router<BasicRequestContext>) {
        router.get("/") { _, _ in Response(status: .seeOther, headers: [.location: EventsPage.path]) }
        router.get(RouterPath(EventsPage.path)) { request, _ in
            await respond(request, path: EventsPage.path) { parameters, today in
                let page = try EventsPage(parameters: parameters, today: today)
                let content = try await page.load(warehouse)
                return (content.panels, page.html(content, parameters: parameters))
            }
        }
        router.get(RouterPath(MetricsPage.path)) { request, _ in
            await respond(request, path: MetricsPage.path) { parameters, today in
                let page = try MetricsPage(parameters: parameters, today: today)
                let content = try await page.load(warehouse)
                return (content.panels, page.html(content, parameters: parameters))
            }
        }
        router.get(RouterPath(InstancesPage.path)) { request, _ in
            await respond(request, path: InstancesPage.path) { parameters, today in
                let page = InstancesPage(today: today)
                let panels = try await page.load(warehouse)
                return (panels, page.html(panels, parameters: parameters))
            }
        }
        router.get(RouterPath(DashboardPage.path)) { _, _ in Self.html(.ok, DashboardPage.index(dashboards)) }
        router.get(RouterPath(DashboardPage.path + "/:name")) { request, context in
            let name = context.parameters.get("name") ?? ""
            guard let dashboard = dashboards.dashboard(name) else {
                let known = dashboards.names.joined(separator: ", ")
                return Self.html(
                    .notFound,
                    PageLayout.page(
                        title: "No such dashboard", path: DashboardPage.path,
                        body:
                            "<p class=\"error\" role=\"alert\">No dashboard named <code>\(name)</code>; known: \(known).</p>"
                    ))
            }
            return await respond(request, path: "\(DashboardPage.path)/\(name)") { parameters, today in
                let page = try DashboardPage(dashboard: dashboard, parameters: parameters, today: today)
                let panels = try await page.load(warehouse)
                return (panels, page.html(panels, parameters: parameters))
            }
        }
        router.get(RouterPath(MetricsDictionary.path)) { request, _ in
            let parameters = PageParameters(query: request.uri.query)
            if parameters["format"] == "json" { return Self.json(dictionary.json(parameters)) }
            return Self.html(.ok, dictionary.html(parameters))
        }
        router.get(RouterPath(MetricsDictionary.path + ".json")) { request, _ in
            Self.json(dictionary.json(PageParameters(query: request.uri.query)))
        }
    }

    /// Builds a page (or, with `format=csv`, one panel's CSV), answering bad parameters with 400 and a warehouse
    /// failure with 503.
    private func respond(
        _ request: Request, path: String,
        _ build: @Sendable (PageParameters, CalendarDay) async throws -> ([Panel], HTML)
    ) async -> Response {
        let parameters = PageParameters(query: request.uri.query)
        do {
            let format = parameters["format"] ?? "html"
            guard format == "html" || format == "csv" else {
                throw PageParameters.Invalid(parameter: "format", message: "expected html or csv, got \"\(format)\"")
            }
            let (panels, html) = try await build(parameters, CalendarDay(containing: now()))
            guard format == "csv" else { return Self.html(.ok, html) }
            let ids = panels.map(\.id)
            guard let id = parameters["panel"], let panel = panels.first(where: { $0.id == id }) else {
                throw PageParameters.Invalid(
                    parameter: "panel", message: "format=csv needs one of \(ids.joined(separator: ", "))")
            }
            let name = "\(path.dropFirst())-\(panel.id).csv"
            return Response(
                status: .ok,
                headers: [
                    .contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"\(name)\"",
                ],
                body: .init(byteBuffer: ByteBuffer(string: panel.csv)))
        } catch let invalid as PageParameters.Invalid {
            return Self.html(.badRequest, PageLayout.invalid(invalid, path: path))
        } catch {
            logger.error("a page could not read the warehouse", metadata: ["path": "\(path)", "error": "\(error)"])
            return Self.html(
                .serviceUnavailable,
                PageLayout.page(
                    title: "Warehouse unavailable", path: path,
                    body: "<p class=\"error\" role=\"alert\">The warehouse could not answer; try again later.</p>"))
        }
    }

    static func html(_ status: HTTPResponse.Status, _ page: HTML) -> Response {
        Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: page.description)))
    }

    static func json(_ text: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
