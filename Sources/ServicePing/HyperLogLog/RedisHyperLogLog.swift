import Hiredis

/// The registers of one Redis HyperLogLog, read on the client: what `PFCOUNT`, `PFMERGE` and multi-key `PFCOUNT`
/// work on, without asking the server.
///
/// A value holds the 16,384 registers of Redis' HyperLogLog (precision 14), each between 0 and
/// `maximumRegisterValue`. It is made from the raw string Redis stores under an HLL key (`init(redisString:)`, what
/// `GET key` returns, sparse or dense), merged register by register (`merge`), and estimated with Redis' own
/// estimator (`count()`), so that the count of a merge equals `PFCOUNT key…` over the same keys.
///
/// **Ownership:** the value owns its registers (a Swift array, copied on write, 16 KiB); nothing in it refers to a
/// reply, to hiredis memory or to a connection. The encoding the bytes came in (sparse or dense) and the
/// cardinality Redis cached in the header are not kept: two values are equal when their registers are.
///
/// **Thread safety:** a plain value, `Sendable`; no I/O, no locks, no shared state. Every operation is a
/// computation over at most 16,384 registers.
public struct RedisHyperLogLog: Sendable, Hashable {
    /// The number of registers, 2¹⁴ (Redis' `HLL_REGISTERS`).
    public static let registerCount = 1 << precision

    /// The largest value a register can hold, 51: one more than the 50 hash bits left after the 14 that pick the
    /// register. `PFADD` never stores more.
    public static let maximumRegisterValue = 64 - precision + 1

    /// The number of hash bits that choose a register.
    static let precision = 14

    /// The registers, eight to a word: register `8·w + k` is byte `k` (from the least significant) of `words[w]`.
    /// Whole words make merging and counting cheap: most words of a small set are 0.
    var words: [UInt64]

    /// The number of words, `registerCount / 8`.
    static let wordCount = registerCount / 8

    /// An empty HyperLogLog: every register 0, a count of 0. What a missing key stands for.
    public init() {
        words = [UInt64](repeating: 0, count: Self.wordCount)
    }

    /// A HyperLogLog with the given registers.
    ///
    /// - Parameter registers: `registerCount` values, each in `0...maximumRegisterValue`.
    /// - Throws: `RedisError` with code `.unexpectedReply` when there are not exactly `registerCount` registers or
    ///   one is out of range.
    public init(registers: [UInt8]) throws(RedisError) {
        guard registers.count == Self.registerCount else {
            throw Self.malformed("\(registers.count) registers instead of \(Self.registerCount)")
        }
        if let index = registers.firstIndex(where: { $0 > Self.maximumRegisterValue }) {
            throw Self.registerOutOfRange(index: index, value: registers[index])
        }
        self.init()
        for (index, value) in registers.enumerated() where value != 0 {
            words[index >> 3] |= UInt64(value) << (8 * UInt64(index & 7))
        }
    }

    /// Words already checked by the caller (the parsers).
    init(validatedWords: [UInt64]) {
        words = validatedWords
    }

    /// The registers, `registerCount` of them, each in `0...maximumRegisterValue`, in a new array.
    public var registers: [UInt8] {
        (0..<Self.registerCount).map { (index: Int) -> UInt8 in
            let shift = UInt64(index & 7) * 8
            return UInt8(truncatingIfNeeded: words[index >> 3] >> shift)
        }
    }

    /// Whether every register is 0 (the count is then 0).
    public var isEmpty: Bool { words.allSatisfy { $0 == 0 } }

    /// The error for input that is not a HyperLogLog.
    static func malformed(_ detail: String) -> RedisError {
        RedisError(code: .unexpectedReply, message: "not a Redis HyperLogLog: \(detail)")
    }

    /// The error for a register above `maximumRegisterValue`.
    static func registerOutOfRange(index: Int, value: UInt8) -> RedisError {
        malformed("register \(index) holds \(value), above the maximum \(maximumRegisterValue)")
    }
}
