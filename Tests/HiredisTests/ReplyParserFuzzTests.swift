import Hiredis
import TallyTestSupport
import Testing

/// hiredis' reply reader fed hostile bytes: random bytes, mutated and truncated valid replies, lying lengths, deep
/// nesting. Every case ends in replies or a `RedisError`, never a crash (and, under `make leaks`, never a leak).
@Suite("Reply parser fuzzing")
struct ReplyParserFuzzTests {
    static let validReplies: [(String, RedisReply)] = [
        ("+OK\r\n", .status("OK")),
        ("-ERR wrong type\r\n", .error("ERR wrong type")),
        (":-42\r\n", .integer(-42)),
        ("$5\r\nhello\r\n", .bulk(Array("hello".utf8))),
        ("$0\r\n\r\n", .bulk([])),
        ("$-1\r\n", .null),
        ("*-1\r\n", .null),
        ("*0\r\n", .array([])),
        ("*3\r\n:1\r\n$1\r\na\r\n*1\r\n+x\r\n", .array([.integer(1), .bulk([97]), .array([.status("x")])])),
    ]

    /// Parses every reply in `bytes`, fed in chunks; returns the replies and the error that stopped it, if any.
    static func parse(_ bytes: [UInt8], chunk: Int) -> (replies: [RedisReply], error: RedisError?) {
        let parser = RedisReplyParser()
        var replies: [RedisReply] = []
        do {
            var offset = 0
            while offset < bytes.count {
                let end = min(bytes.count, offset + chunk)
                try parser.feed(Array(bytes[offset..<end]))
                offset = end
                while let reply = try parser.next() { replies.append(reply) }
            }
            return (replies, nil)
        } catch {
            return (replies, error)
        }
    }

    @Test("valid replies parse to the expected values, whole or byte by byte")
    func validReplies() {
        for (text, expected) in Self.validReplies {
            for chunk in [1, 3, 1_000] {
                let (replies, error) = Self.parse(Array(text.utf8), chunk: chunk)
                #expect(error == nil, "\(text.debugDescription)")
                #expect(replies == [expected], "\(text.debugDescription) in chunks of \(chunk)")
            }
        }
    }

    @Test("malformed replies are protocol errors, and the parser stays failed")
    func malformed() throws {
        for text in [
            "?what\r\n", ":12x\r\n", "$abc\r\n", "*1\r\n?\r\n", String(repeating: "*1\r\n", count: 50) + ":1\r\n",
        ] {
            let (_, error) = Self.parse(Array(text.utf8), chunk: 1_000)
            #expect(error?.code == .protocolError, "\(text.debugDescription)")
        }
        let parser = RedisReplyParser()
        try parser.feed(Array("!\r\n".utf8))
        #expect(throws: RedisError.self) { try parser.next() }
        #expect(throws: RedisError.self) { try parser.feed(Array("+OK\r\n".utf8)) }
    }

    @Test("20,000 random and mutated inputs: replies or errors, never a crash", arguments: [UInt64(1), 2, 3, 4])
    func randomInputs(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        var outcomes = (replies: 0, errors: 0, incomplete: 0)
        for _ in 0..<5_000 {
            let bytes = Self.hostileInput(&random)
            let (replies, error) = Self.parse(bytes, chunk: Int.random(in: 1...64, using: &random))
            outcomes.replies += replies.count
            if error != nil { outcomes.errors += 1 } else if replies.isEmpty { outcomes.incomplete += 1 }
        }
        print(
            "RELIABILITY scenario=9 seed=\(seed) inputs=5000 replies=\(outcomes.replies) errors=\(outcomes.errors) incomplete=\(outcomes.incomplete) crashes=0"
        )
        // The generator reaches every outcome, so the cases above really exercise the reader.
        #expect(outcomes.replies > 0 && outcomes.errors > 0 && outcomes.incomplete > 0, "\(outcomes)")
    }

    /// Random bytes, RESP-looking noise, or a valid reply with bytes flipped, dropped, duplicated or truncated.
    static func hostileInput(_ random: inout SeededGenerator) -> [UInt8] {
        let valid = Array(validReplies.randomElement(using: &random)!.0.utf8)
        switch Int.random(in: 0..<6, using: &random) {
        case 0:
            return (0..<Int.random(in: 0...256, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
        case 1:
            let alphabet = Array("+-:$*\r\n0123456789-abcOK".utf8)
            return (0..<Int.random(in: 1...128, using: &random)).map { _ in alphabet.randomElement(using: &random)! }
        case 2:
            var bytes = valid
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
            return bytes
        case 3:
            return Array(valid.prefix(Int.random(in: 0..<valid.count, using: &random)))
        case 4:
            let type = "$*".randomElement(using: &random)!
            let length = Int.random(in: -5...1_000_000, using: &random)
            return Array("\(type)\(length)\r\n".utf8) + valid
        default:
            let depth = Int.random(in: 1...40, using: &random)
            return Array((String(repeating: "*1\r\n", count: depth) + ":1\r\n").utf8)
        }
    }
}
