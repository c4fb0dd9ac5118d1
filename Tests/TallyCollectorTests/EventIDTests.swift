import Foundation
import TallyTestSupport
import Testing

@testable import TallyCollector

/// `eid`: taken only in the canonical `8-4-4-4-12` form (either case), stored lowercase, as Foundation's
/// `UUID(uuidString:)` reads it. (That initializer also takes some malformed text on Linux, such as a space for a
/// digit; the collector doesn't.)
@Suite("event ids")
struct EventIDTests {
    @Test func takesWhatUUIDTakesAndLowercasesIt() {
        var generator = SeededGenerator(seed: 36)
        var texts = [
            "", "not-a-uuid", "00000000-0000-4000-8000-00000000000", "00000000-0000-4000-8000-0000000000000",
            "0000000000000-4000-8000-000000000000", "g0000000-0000-4000-8000-000000000000",
            "{00000000-0000-4000-8000-000000000000}", "00000000-0000-4000-8000-00000000000é",
        ]
        for _ in 0..<2_000 {
            var text = UUID().uuidString
            if Bool.random(using: &generator) { text = text.lowercased() }
            if Int.random(in: 0..<3, using: &generator) == 0 {
                var characters = Array(text)
                let index = Int.random(in: 0..<characters.count, using: &generator)
                characters[index] = Array("-0aAfFgG_ ").randomElement(using: &generator)!
                text = String(characters)
            }
            texts.append(text)
        }
        let canonical = try! Regex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
        var taken = 0
        for text in texts {
            let id = CollectedEvent.lowercasedUUID(text)
            if text.wholeMatch(of: canonical) != nil {
                #expect(id == UUID(uuidString: text)?.uuidString.lowercased(), "[\(text)]")
                #expect(id == text.lowercased())
                taken += 1
            } else {
                #expect(id == nil, "[\(text)]")
            }
        }
        #expect(taken > 1_000)
    }
}
