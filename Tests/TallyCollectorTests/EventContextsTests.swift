import Foundation
import Testing

@testable import TallyCollector

/// What the collector stores of an event's contexts.
@Suite("event contexts")
struct EventContextsTests {
    /// Contexts are stored as compact JSON whatever the sender wrote: as sent when it is compact, else written
    /// again, so that `LIKE '%iglu:com.gitlab/gitlab_service_ping/%'` finds an escaped slash too.
    @Test func contextsAreStoredCompact() throws {
        let compact = #"[{"schema":"iglu:com.gitlab/gitlab_service_ping/jsonschema/1-0-0","data":{"event_name":"x"}}]"#
        for sent in [
            compact,
            #"[ {"schema": "iglu:com.gitlab\/gitlab_service_ping/jsonschema/1-0-0", "data": {"event_name":"x"}} ]"#,
        ] {
            let document = #"{"schema":"\#(CollectedEvent.contextsSchemaPrefix)0-1","data":\#(sent)}"#
            let (_, stored) = try CollectedEvent.contexts(["co": document])
            #expect(stored == compact, "\(sent)")
        }
        #expect(try CollectedEvent.contexts([:]).1 == "[]")
    }
}
