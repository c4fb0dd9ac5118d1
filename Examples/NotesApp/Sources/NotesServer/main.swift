import Hummingbird
import InternalEvents
import NotesApp
import ServiceLifecycle
import ServicePing
import TallyServiceLifecycle

// Everything from one configuration: TALLY_REDIS_URL, TALLY_DEFINITIONS (default: this package's definitions),
// TALLY_DATABASE_URL, TALLY_COLLECTOR_URL, TALLY_SUBMIT, …
let tally = try Tally(configuration: .environment(defaults: .init(definitions: ["definitions"])))
let worker = try await ServicePingWorker(tally: tally)
let app = Application(
    router: try buildRouter(tracker: tally.tracker, catalog: tally.catalog),
    configuration: .init(address: .hostname("127.0.0.1", port: 8081)),
    services: tally.services + [worker],  // buffered counters and the weekly worker stop with the app
    logger: tally.logger)
try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
