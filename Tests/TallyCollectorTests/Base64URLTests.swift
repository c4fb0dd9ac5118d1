import Foundation
import Testing

@testable import TallyCollector

/// `cx` and `ue_px` arrive base64url-encoded without padding (JavaScript and Python trackers), or in the standard
/// alphabet with it (others).
@Suite("base64url contexts")
struct Base64URLTests {
    @Test func bothAlphabetsPaddedOrNot() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<64 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let standard = Data(bytes).base64EncodedString()
            let url = standard.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            #expect(CollectedEvent.base64URLDecoded(standard) == bytes, "\(standard)")
            #expect(CollectedEvent.base64URLDecoded(url) == bytes, "\(url)")
        }
    }

    @Test func notBase64IsNil() {
        for text in ["a", "ab!d", "é", "a b", "abc=d"] {
            #expect(CollectedEvent.base64URLDecoded(text) == nil, "\(text)")
        }
    }
}
