import Foundation
import InternalEvents
import TallyTestSupport

/// Loads a folder and returns every diagnostic (errors and warnings), or the catalog's warnings when it loads.
func loadDiagnostics(_ folder: DefinitionFolder, options: DefinitionLoader.Options = .init()) -> [DefinitionDiagnostic]
{
    do {
        return try DefinitionLoader(options: options).load(from: [folder.url]).warnings
    } catch {
        return error.diagnostics
    }
}

/// A folder with the given files, plus a valid `test_event` unless the files define their own events.
func folder(events: [String: String] = [:], metrics: [String: String] = [:]) throws -> DefinitionFolder {
    let folder = try DefinitionFolder()
    var events = events
    if events.isEmpty { events["test_event.yml"] = DefinitionFolder.event("test_event") }
    for (name, text) in events { try folder.write("events/\(name)", text) }
    for (name, text) in metrics { try folder.write("metrics/\(name)", text) }
    return folder
}
