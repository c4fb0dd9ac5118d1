import Testing

@testable import Hiredis

@Suite("RESP encoding")
struct RESPEncoderTests {
    @Test func encodesArraysOfBulkStrings() {
        var buffer: [UInt8] = []
        RESPEncoder.encode([.incr("k"), .set("key", [0, 13, 10])], into: &buffer)
        let expected = "*2\r\n$4\r\nINCR\r\n$1\r\nk\r\n*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$3\r\n\0\r\n\r\n"
        #expect(buffer == Array(expected.utf8))
    }

    @Test func lengthsOfManyDigits() {
        var buffer: [UInt8] = []
        let big = [UInt8](repeating: 65, count: 1_234_567)
        RESPEncoder.encode([.echo(big)], into: &buffer)
        #expect(buffer.starts(with: Array("*2\r\n$4\r\nECHO\r\n$1234567\r\n".utf8)))
        #expect(buffer.count == 24 + 1_234_567 + 2)
        #expect(RESPEncoder.estimatedSize(of: [RedisCommand.echo(big)]) >= buffer.count)
    }
}
