import Foundation
import InternalEvents
import TallyTestSupport
import Testing

@testable import TallyServer

/// The JSON reader of request bodies: what it reads, what it refuses (with where), and agreement with Foundation's
/// `JSONSerialization` on valid documents and on thousands of corrupted ones.
@Suite("JSON reader")
struct JSONReaderTests {
    static func parse(_ text: String) throws(JSONReader.Failure) -> JSONValue {
        try JSONReader.parse(Array(text.utf8))
    }

    @Test func readsEveryKindOfValueKeepingKeyOrder() throws {
        let value = try Self.parse(
            #" { "z": [1, -2, 3.5, -0.25e2, 1E3, true, false, null], "a": {"nested": "x"}, "": "" } "#)
        #expect(
            value
                == .object([
                    (
                        "z",
                        .array([
                            .integer(1), .integer(-2), .double(3.5), .double(-25), .double(1000), .bool(true),
                            .bool(false), .null,
                        ])
                    ),
                    ("a", .object([("nested", .string("x"))])), ("", .string("")),
                ]))
        #expect(try Self.parse("42") == .integer(42))
        #expect(try Self.parse(#""fragment""#) == .string("fragment"))
        #expect(try Self.parse("9223372036854775807") == .integer(.max))
        #expect(try Self.parse("-9223372036854775808") == .integer(.min))
        #expect(try Self.parse("9223372036854775808") == .double(9_223_372_036_854_775_808))
    }

    @Test func readsEscapes() throws {
        #expect(try Self.parse(#""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{8}\u{C}\n\r\t"))
        #expect(try Self.parse(#""\u00e9\u4e2d\ud83d\ude00""#) == .string("é中😀"))
        #expect(try Self.parse(#""plain é then \u0041""#) == .string("plain é then A"))
    }

    @Test(
        arguments: [
            ("", "unexpected end of the text", 0), ("[1,]", "expected a value", 3), ("{\"a\":1,}", "expected a key", 7),
            ("// no", "expected a value", 0), ("[1] 2", "unexpected text after the value", 4),
            ("01", "a number can't start with 0", 1), ("1.", "expected a digit after '.'", 2),
            ("-", "expected a digit", 1), ("1e", "expected an exponent", 2), ("tru", "expected a value", 3),
            ("\"open", "a string is not closed", 5), ("\"a\u{1}b\"", "a control character", 2),
            (#""\x""#, "unknown escape", 2), (#""\ud83d""#, "a high surrogate escape without its low half", 7),
            (#""\ude00""#, "a low surrogate escape without its high half", 7), (#""\u12""#, "\\u needs four", 3),
            ("{\"a\" 1}", "expected ':'", 5), ("[1 2]", "expected ',' or ']'", 3),
            ("{\"a\":1 \"b\"}", "expected ','", 7),
            ("NaN", "expected a value", 0), ("[1e400]", "a number too large", 1),
        ])
    func refusesWhatIsNotJSONSayingWhereAndWhy(text: String, message: String, offset: Int) {
        #expect {
            try Self.parse(text)
        } throws: { error in
            guard let failure = error as? JSONReader.Failure else { return false }
            return failure.message.hasPrefix(message) && failure.offset == offset
        }
    }

    @Test func refusesInvalidUTF8AndDeepNesting() {
        #expect(throws: JSONReader.Failure.self) { try JSONReader.parse([0x22, 0xC3, 0x28, 0x22]) }
        #expect(throws: JSONReader.Failure.self) { try JSONReader.parse([0x22, 0xED, 0xA0, 0x80, 0x22]) }
        let deep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        #expect(throws: JSONReader.Failure.self) { try Self.parse(deep) }
        let allowed = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect((try? Self.parse(allowed)) != nil)
    }

    @Test func keepsTheTextOfATopLevelMember() throws {
        let text = #"{"schema":"s","data": [ {"a":1} , 2 ],"inner":{"data":3},"data":"second"}"#
        let (value, member) = try JSONReader.parse(Array(text.utf8), keepingTextOf: "data")
        #expect(member.map { String(decoding: $0, as: UTF8.self) } == "[ {\"a\":1} , 2 ]")
        #expect(value["data"] == .array([.object([("a", .integer(1))]), .integer(2)]))
        #expect(try JSONReader.parse(Array(#"{"inner":{"data":3}}"#.utf8), keepingTextOf: "data").memberText == nil)
        #expect(try JSONReader.parse(Array("[1]".utf8), keepingTextOf: "data").memberText == nil)
    }

    /// Random documents written by `JSONValue.serialized()` read back as the same values.
    @Test func readsBackWhatJSONValueWrites() throws {
        var generator = SeededGenerator(seed: 16)
        for _ in 0..<2_000 {
            let value = Self.randomValue(depth: 0, using: &generator)
            let text = value.serialized()
            #expect(try Self.parse(text) == value, "\(text)")
        }
    }

    /// Valid documents with a byte inserted, dropped or changed: the reader takes exactly what `JSONSerialization`
    /// takes, and reads the same values from it.
    @Test func agreesWithFoundationOnCorruptedDocuments() throws {
        var generator = SeededGenerator(seed: 61)
        let alphabet = Array(#"{}[],:"\\/ -+.0123456789eEtrufalsnxu\#t\#n"#.utf8) + [0x01, 0xC3, 0xA9, 0xFF]
        var disagreements: [String] = []
        var accepted = 0
        for _ in 0..<5_000 {
            var bytes = Array(Self.randomValue(depth: 0, using: &generator).serialized().utf8)
            for _ in 0...Int.random(in: 0...2, using: &generator) {
                let index = Int.random(in: 0...bytes.count, using: &generator)
                let byte = alphabet.randomElement(using: &generator)!
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: bytes.insert(byte, at: index)
                case 1 where index < bytes.count: bytes.remove(at: index)
                default: if index < bytes.count { bytes[index] = byte }
                }
            }
            let ours = try? JSONReader.parse(bytes)
            let foundation = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
            if ours != nil { accepted += 1 }
            if (ours == nil) != (foundation == nil) {
                disagreements.append(String(decoding: bytes, as: UTF8.self))
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(5))")
        #expect(accepted > 500, "the corruptions left too few valid documents to compare")
    }

    static func randomValue(depth: Int, using generator: inout SeededGenerator) -> JSONValue {
        switch Int.random(in: depth > 3 ? 0...4 : 0...6, using: &generator) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &generator))
        case 2: return .integer(Int64.random(in: -1_000_000_000_000...1_000_000_000_000, using: &generator))
        case 3: return .double(Double(Int.random(in: -100_000...100_000, using: &generator)) / 64)
        case 4: return .string(randomString(using: &generator))
        case 5:
            return .array(
                (0..<Int.random(in: 0...4, using: &generator)).map { _ in
                    randomValue(depth: depth + 1, using: &generator)
                })
        default:
            return .object(
                (0..<Int.random(in: 0...4, using: &generator)).map { _ in
                    (randomString(using: &generator), randomValue(depth: depth + 1, using: &generator))
                })
        }
    }

    static func randomString(using generator: inout SeededGenerator) -> String {
        let pieces = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{1}", "\u{1F}", "é", "中", "😀", "{", "]"]
        return (0..<Int.random(in: 0...6, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }
            .joined()
    }
}
