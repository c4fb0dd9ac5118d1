/// One of the 16,384 hash slots of a Redis Cluster, and the rule that puts a key in it.
///
/// A key's slot is CRC16/XMODEM of the key, modulo 16,384; when the key holds a hash tag (the bytes between the first
/// `{` and the first `}` after it, if there are any), only the tag is hashed, so keys sharing a tag share a slot:
/// `{event_counters}_foo` and `{event_counters}_bar` are both in the slot of `event_counters`.
///
/// A plain value: `Sendable`, computed locally, no I/O.
public struct RedisClusterSlot: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// How many slots a cluster has.
    public static let count = 16_384

    /// The slot number, `0..<16384`.
    public let number: Int

    /// The slot with this number.
    /// - Precondition: `number` is in `0..<16384`.
    public init(_ number: Int) {
        precondition((0..<Self.count).contains(number), "slot \(number) is outside 0..<16384")
        self.number = number
    }

    /// The slot with this number, or `nil` outside `0..<16384` (for numbers read from a server).
    public init?(checking number: Int) {
        guard (0..<Self.count).contains(number) else { return nil }
        self.number = number
    }

    /// The slot of a key.
    public init(key: some RedisArgumentConvertible) {
        let bytes = key.redisArgument
        number = Int(Self.crc16(Self.hashedPart(of: bytes)) % UInt16(Self.count))
    }

    /// The part of a key that is hashed: the content of its first `{…}` when that is not empty, else the whole key.
    ///
    /// Only the first `{` counts, and the first `}` after it: `foo{}{bar}` hashes whole (its first tag is empty),
    /// `foo{{bar}}` hashes `{bar`, `foo{bar}{zap}` hashes `bar`.
    public static func hashedPart(of key: [UInt8]) -> ArraySlice<UInt8> {
        guard let open = key.firstIndex(of: UInt8(ascii: "{")),
            let close = key[(open + 1)...].firstIndex(of: UInt8(ascii: "}")),
            close > open + 1
        else { return key[...] }
        return key[(open + 1)..<close]
    }

    /// CRC16/XMODEM (polynomial 0x1021, initial value 0, no reflection, no final XOR), as the cluster spec
    /// defines it: `crc16("123456789") == 0x31C3`.
    public static func crc16(_ bytes: ArraySlice<UInt8>) -> UInt16 {
        // The table in a local: one access to the global per key, not one per byte.
        let table = crcTable
        var crc: UInt16 = 0
        for byte in bytes {
            crc = (crc << 8) ^ table[Int(UInt8(truncatingIfNeeded: crc >> 8) ^ byte)]
        }
        return crc
    }

    /// `crc16` of a whole array.
    public static func crc16(_ bytes: [UInt8]) -> UInt16 { crc16(bytes[...]) }

    /// The CRC of each byte value, computed once bit by bit.
    private static let crcTable: [UInt16] = (0...255).map { value in
        var crc = UInt16(value) << 8
        for _ in 0..<8 {
            crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1
        }
        return crc
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.number < rhs.number }

    public var description: String { "slot \(number)" }
}
