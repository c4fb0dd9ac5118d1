import Foundation
import InternalEvents
import Testing

/// `JSONValue.serialized` writes strings JSON can read back to the same text, with or without characters to escape.
@Suite("JSON string escapes")
struct JSONStringEscapeTests {
    @Test func stringsRoundTripThroughJSONDecoder() throws {
        var generator = SystemRandomNumberGenerator()
        let pieces = ["a", "é", "\"", "\\", "\n", "\r", "\t", "\u{1}", "\u{1F}", "/", "😀", "\u{7F}", " ", "{}", "ü"]
        var samples = ["", "plain", "with \"quotes\"", "back\\slash", "line\nbreak", "\u{0}"]
        for _ in 0..<2_000 {
            samples.append(
                (0..<Int.random(in: 0...12, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }
                    .joined())
        }
        for text in samples {
            let written = JSONValue.array([.string(text)]).serialized()
            let read = try JSONDecoder().decode([String].self, from: Data(written.utf8))
            #expect(read == [text], "\(written)")
        }
        #expect(JSONValue.string("a\"b").serialized() == #""a\"b""#)
        #expect(JSONValue.string("\u{1}").serialized() == #""\u0001""#)
        #expect(JSONValue.string("plain é").serialized() == "\"plain é\"")
    }
}
