import Testing

@testable import Hiredis

@Suite("RESP encoding")
struct RESPEncoderTests {
    @Test func encodesArraysOfBulkStrings() {
        let buffer = RESPEncoder.encode([.incr("k"), .set("key", [0, 13, 10])])
        let expected = "*2\r\n$4\r\nINCR\r\n$1\r\nk\r\n*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$3\r\n\0\r\n\r\n"
        #expect(buffer == Array(expected.utf8))
    }

    @Test func lengthsOfManyDigits() {
        let big = [UInt8](repeating: 65, count: 1_234_567)
        let buffer = RESPEncoder.encode([.echo(big)])
        #expect(buffer.starts(with: Array("*2\r\n$4\r\nECHO\r\n$1234567\r\n".utf8)))
        #expect(buffer.count == 24 + 1_234_567 + 2)
        #expect(RESPEncoder.encodedSize(of: [RedisCommand.echo(big)]) == buffer.count)
    }

    /// Commands of 1 to 12 arguments whose lengths sit on the digit boundaries (0, 9, 10, 99, 100, 999, 1,000 …),
    /// against the protocol written out with string interpolation.
    @Test func agreesWithThePlainFormOnDigitBoundaries() {
        let lengths = [0, 1, 9, 10, 11, 99, 100, 101, 999, 1_000, 9_999, 10_000, 100_000]
        var generator = SystemRandomNumberGenerator()
        var commands: [RedisCommand] = []
        for _ in 0..<200 {
            let count = Int.random(in: 1...12, using: &generator)
            let arguments = (0..<count).map { _ in
                (0..<lengths.randomElement(using: &generator)!).map { _ in UInt8.random(in: 0...255, using: &generator)
                }
            }
            commands.append(RedisCommand(arguments: arguments.isEmpty ? [[]] : arguments, keyPositions: []))
        }
        var plain: [UInt8] = []
        for command in commands {
            plain += Array("*\(command.arguments.count)\r\n".utf8)
            for argument in command.arguments { plain += Array("$\(argument.count)\r\n".utf8) + argument + [13, 10] }
        }
        #expect(RESPEncoder.encode(commands) == plain)
        #expect(RESPEncoder.encodedSize(of: commands) == plain.count)
        #expect(RESPEncoder.encode([RedisCommand]()) == [])
    }
}
