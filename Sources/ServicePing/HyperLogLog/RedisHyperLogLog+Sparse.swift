import Hiredis

extension RedisHyperLogLog {
    /// Decodes the sparse payload, a sequence of run-length opcodes that must cover the registers exactly:
    ///
    /// - `00llllll`: a run of `l + 1` (1 to 64) registers at 0;
    /// - `01hhhhhh llllllll`: a run of `h·256 + l + 1` (1 to 16,384) registers at 0;
    /// - `1vvvvvll`: a run of `l + 1` (1 to 4) registers at `v + 1` (1 to 32).
    ///
    /// - Throws: `RedisError` (`.unexpectedReply`) when a two-byte opcode is cut off, or the runs cover more or
    ///   fewer than `registerCount` registers.
    static func sparseWords(_ payload: ArraySlice<UInt8>) throws(RedisError) -> [UInt64] {
        var words = [UInt64](repeating: 0, count: wordCount)
        var covered = 0
        var offset = payload.startIndex
        while offset < payload.endIndex {
            let opcode = payload[offset]
            let position = offset - payload.startIndex
            let run: Int
            var value: UInt8 = 0
            switch opcode >> 6 {
            case 0b00:
                run = Int(opcode & 0x3F) + 1
                offset += 1
            case 0b01:
                guard offset + 1 < payload.endIndex else {
                    throw malformed("truncated: the sparse payload ends inside the two-byte opcode at byte \(position)")
                }
                run = Int(opcode & 0x3F) << 8 + Int(payload[offset + 1]) + 1
                offset += 2
            default:
                run = Int(opcode & 0x03) + 1
                value = (opcode >> 2 & 0x1F) + 1
                offset += 1
            }
            guard run <= registerCount - covered else {
                throw malformed(
                    "the sparse opcode at byte \(position) runs to register \(covered + run - 1), past the last"
                        + " (\(registerCount - 1))")
            }
            if value != 0 {
                for register in covered..<covered + run {
                    words[register >> 3] |= UInt64(value) << (8 * UInt64(register & 7))
                }
            }
            covered += run
        }
        guard covered == registerCount else {
            throw malformed("the sparse opcodes cover \(covered) registers instead of \(registerCount)")
        }
        return words
    }
}
