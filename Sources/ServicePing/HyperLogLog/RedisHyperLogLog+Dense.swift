import Hiredis

extension RedisHyperLogLog {
    /// The bytes of the dense payload: 6 bits per register.
    static let denseSize = registerCount * 6 / 8

    /// Unpacks the dense payload: registers of 6 bits, least significant bits first, so every 6 bytes hold 8
    /// registers (the first in the low 6 bits of the first byte, the last in the high 6 bits of the sixth).
    ///
    /// - Throws: `RedisError` (`.unexpectedReply`) when the payload is not exactly `denseSize` bytes or a register
    ///   is above `maximumRegisterValue`.
    static func denseWords(_ payload: ArraySlice<UInt8>) throws(RedisError) -> [UInt64] {
        guard payload.count == denseSize else {
            let problem = payload.count < denseSize ? "truncated" : "too long"
            throw malformed(
                "\(problem): a dense payload of \(payload.count) bytes instead of \(denseSize) (after the header)")
        }
        var words: [UInt64] = []
        words.reserveCapacity(wordCount)
        var byte = payload.startIndex
        for _ in 0..<wordCount {
            var bits: UInt64 = 0
            for offset in 0..<6 {
                bits |= UInt64(payload[byte + offset]) << (8 * UInt64(offset))
            }
            var word: UInt64 = 0
            for register in 0..<8 {
                word |= (bits >> (6 * UInt64(register)) & 0x3F) << (8 * UInt64(register))
            }
            // Every byte is at most 63, so adding 12 reaches 64 (bit 6) exactly in the bytes above 51.
            if (word &+ 0x0C0C_0C0C_0C0C_0C0C) & 0x4040_4040_4040_4040 != 0 {
                let base = words.count * 8
                let offset = (0..<8).first {
                    UInt8(truncatingIfNeeded: word >> (8 * UInt64($0))) > maximumRegisterValue
                }
                let register = offset ?? 0
                throw registerOutOfRange(
                    index: base + register, value: UInt8(truncatingIfNeeded: word >> (8 * UInt64(register))))
            }
            words.append(word)
            byte += 6
        }
        return words
    }
}
