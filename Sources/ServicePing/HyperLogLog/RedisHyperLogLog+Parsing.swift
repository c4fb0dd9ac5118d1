import Hiredis

extension RedisHyperLogLog {
    /// The 16-byte header: "HYLL", the encoding byte, 3 unused bytes, the cached cardinality (8 bytes).
    static let headerSize = 16

    /// The header's first four bytes, "HYLL".
    static let magic: [UInt8] = Array("HYLL".utf8)

    /// The header's encoding byte.
    enum Encoding: UInt8 {
        /// 6 bits per register, packed.
        case dense = 0
        /// Run-length opcodes.
        case sparse = 1
    }

    /// Parses the string Redis stores under a HyperLogLog key, as `GET key` returns it: the header, then either
    /// the dense registers or the sparse opcodes.
    ///
    /// The bytes are only read (never past their end) and not kept. The header's unused bytes and cached
    /// cardinality are ignored, as `PFCOUNT` over several keys ignores them.
    ///
    /// - Parameter redisString: the raw value of the key.
    /// - Throws: `RedisError` with code `.unexpectedReply`, its message saying what is wrong: a wrong magic, an
    ///   unknown encoding, fewer or more bytes than the encoding needs, sparse opcodes that cover more or fewer than
    ///   `registerCount` registers, or a dense register above `maximumRegisterValue` (which Redis' `PFCOUNT`
    ///   tolerates but no `PFADD` can store).
    public init(redisString: [UInt8]) throws(RedisError) {
        let magicLength = min(redisString.count, Self.magic.count)
        guard redisString[..<magicLength].elementsEqual(Self.magic[..<magicLength]) else {
            let found = redisString[..<magicLength].map { String($0, radix: 16) }.joined(separator: " ")
            throw Self.malformed("the magic is [\(found)] (hex), not \"HYLL\"")
        }
        guard redisString.count >= Self.headerSize else {
            throw Self.malformed(
                "truncated: \(redisString.count) bytes, shorter than the \(Self.headerSize)-byte header")
        }
        let encodingByte = redisString[4]
        guard let encoding = Encoding(rawValue: encodingByte) else {
            throw Self.malformed("unknown encoding \(encodingByte) (0 is dense, 1 is sparse)")
        }
        let payload = redisString[Self.headerSize...]
        switch encoding {
        case .dense: self.init(validatedWords: try Self.denseWords(payload))
        case .sparse: self.init(validatedWords: try Self.sparseWords(payload))
        }
    }

    /// The HyperLogLog in the reply to `GET key`: a bulk string is parsed with `init(redisString:)`, a nil reply (a
    /// missing key) is an empty HyperLogLog, as `PFCOUNT` counts a missing key.
    ///
    /// - Throws: for an error reply, its classified error (`.wrongType`, `.serverError`, …), as `RedisReply`'s
    ///   accessors do; `RedisError` with code `.unexpectedReply` for another kind of reply or a string that is not a
    ///   HyperLogLog.
    public init(reply: RedisReply) throws(RedisError) {
        if let bytes = try reply.optionalBytes() {
            try self.init(redisString: bytes)
        } else {
            self.init()
        }
    }
}
