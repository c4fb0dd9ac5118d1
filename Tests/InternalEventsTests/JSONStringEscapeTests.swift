import Foundation
import InternalEvents
import Testing

/// `JSONValue.serialized` writes strings JSON can read back to the same text, with or without characters to escape.
@Suite("JSON string escapes")
struct JSONStringEscapeTests {
    @Test func stringsRoundTripThroughJSONDecoder() throws {
        var generator = SystemRandomNumberGenerator()
        let pieces = [
            "a", "é", "\"", "\\", "\n", "\r", "\t", "\u{1}", "\u{1F}", "/", "😀", "\u{7F}", " ", "{}", "ü", "\u{301}",
            "🇩🇪",
        ]
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
        // Escapes between runs of text, a combining accent right after one (appended with its run, not split).
        #expect(
            Array(JSONValue.string("\u{1F}x\"e\u{301}\\\tz").serialized().utf8)
                == Array(#""\u001fx\"e"#.utf8) + [0xCC, 0x81] + Array(#"\\\tz""#.utf8))
        let context = #"{"schema":"iglu:com.gitlab/gitlab_standard/jsonschema/1-1-1","data":{"project_id":7}}"#
        #expect(
            JSONValue.string(context).serialized()
                == #""{\"schema\":\"iglu:com.gitlab/gitlab_standard/jsonschema/1-1-1\",\"data\":{\"project_id\":7}}""#)
    }
}
