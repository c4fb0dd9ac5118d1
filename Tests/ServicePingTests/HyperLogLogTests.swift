import Foundation
import Hiredis
import ServicePing
import TallyTestSupport
import Testing

/// Raw HyperLogLog strings made on the client, in Redis' layout, for crafted and malformed inputs.
enum HyperLogLogBytes {
    /// "HYLL", the encoding byte, 3 unused bytes, a cached cardinality marked stale (the top bit of its last byte),
    /// so a single-key `PFCOUNT` computes rather than replying with the cache.
    static func header(encoding: UInt8) -> [UInt8] {
        Array("HYLL".utf8) + [encoding, 0, 0, 0] + [0, 0, 0, 0, 0, 0, 0, 0x80]
    }

    /// The dense string: 6 bits per register, least significant bits first.
    static func dense(_ registers: [UInt8]) -> [UInt8] {
        var bytes = header(encoding: 0)
        bytes.reserveCapacity(bytes.count + registers.count * 6 / 8)
        for group in stride(from: 0, to: registers.count, by: 4) {
            var packed = 0
            for offset in 0..<4 {
                packed |= Int(registers[group + offset]) << (6 * offset)
            }
            bytes += [UInt8(packed & 0xFF), UInt8(packed >> 8 & 0xFF), UInt8(packed >> 16)]
        }
        return bytes
    }

    /// A sparse string for registers of at most 32; `generator` picks among the equivalent encodings Redis also
    /// accepts (a long run split, a short zero run as ZERO or XZERO).
    static func sparse(_ registers: [UInt8], using generator: inout SeededGenerator) -> [UInt8] {
        var bytes = header(encoding: 1)
        var index = 0
        while index < registers.count {
            let value = registers[index]
            var run = 1
            while index + run < registers.count, registers[index + run] == value { run += 1 }
            if Int.random(in: 0..<4, using: &generator) == 0 { run = Int.random(in: 1...run, using: &generator) }
            if value == 0 {
                if run <= 64, Bool.random(using: &generator) {
                    bytes.append(UInt8(run - 1))
                } else {
                    bytes += [0x40 | UInt8((run - 1) >> 8), UInt8((run - 1) & 0xFF)]
                }
            } else {
                run = min(run, 4)
                bytes.append(0x80 | (value - 1) << 2 | UInt8(run - 1))
            }
            index += run
        }
        return bytes
    }

    /// Random sparse opcodes covering about a random number of registers (up to a little more than 16,384), often
    /// completed to exactly 16,384 with a final XZERO, so that about half of them are valid.
    static func randomSparse(using generator: inout SeededGenerator) -> [UInt8] {
        var bytes = header(encoding: 1)
        var covered = 0
        let target = Int.random(in: 0...17_000, using: &generator)
        while covered < target {
            switch Int.random(in: 0..<3, using: &generator) {
            case 0:
                let run = Int.random(in: 1...64, using: &generator)
                bytes.append(UInt8(run - 1))
                covered += run
            case 1:
                let run = Int.random(in: 1...4_096, using: &generator)
                bytes += [0x40 | UInt8((run - 1) >> 8), UInt8((run - 1) & 0xFF)]
                covered += run
            default:
                let opcode = UInt8.random(in: 0x80...0xFF, using: &generator)
                bytes.append(opcode)
                covered += Int(opcode & 0x03) + 1
            }
        }
        if covered < RedisHyperLogLog.registerCount, Int.random(in: 0..<4, using: &generator) != 0 {
            let run = RedisHyperLogLog.registerCount - covered
            bytes += [0x40 | UInt8((run - 1) >> 8), UInt8((run - 1) & 0xFF)]
        }
        return bytes
    }

    /// Registers as a set of about `cardinality` members would leave them (each register the maximum of a Poisson
    /// number of geometric values), for any cardinality, without adding members.
    static func registers(cardinality: Double, using generator: inout SeededGenerator) -> [UInt8] {
        let perRegister = cardinality / Double(RedisHyperLogLog.registerCount)
        return (0..<RedisHyperLogLog.registerCount).map { _ in
            // P(register ≤ v) = exp(−λ·2⁻ᵛ), λ the members per register: draw u, take the smallest v where
            // exp(−λ·2⁻ᵛ) ≥ u, that is 2ᵛ ≥ λ / −ln u.
            let threshold = -log(Double.random(in: 0..<1, using: &generator))
            let value = (log2(perRegister / threshold)).rounded(.up)
            guard value.isFinite, value > 0 else { return 0 }
            return UInt8(min(value, Double(RedisHyperLogLog.maximumRegisterValue)))
        }
    }
}

/// Parsing of malformed and random input: every case parses or throws `RedisError`, never crashes. No server.
@Suite("HyperLogLog parsing")
struct HyperLogLogParsingTests {
    /// A valid sparse string: four non-zero registers (one of them the last) among runs of zeros.
    static let sparseSample: [UInt8] = {
        var registers = [UInt8](repeating: 0, count: RedisHyperLogLog.registerCount)
        registers[1000] = 2
        registers[1020] = 3
        registers[1021] = 3
        registers[16383] = 32
        var generator = SeededGenerator(seed: 1)
        return HyperLogLogBytes.sparse(registers, using: &generator)
    }()

    static func expectMalformed(_ bytes: [UInt8], mentioning words: [String], _ comment: Comment) {
        do {
            let parsed = try RedisHyperLogLog(redisString: bytes)
            Issue.record("parsed \(bytes.count) bytes into \(parsed.count()): \(comment)")
        } catch {
            #expect(error.code == .unexpectedReply, comment)
            for word in words {
                #expect(error.message.contains(word), "\(comment): \(error.message)")
            }
        }
    }

    @Test func emptyAndSampleParse() throws {
        #expect(RedisHyperLogLog().count() == 0)
        #expect(RedisHyperLogLog().isEmpty)
        #expect(RedisHyperLogLog.merge([]) == RedisHyperLogLog())
        #expect(RedisHyperLogLog.merge([nil, nil]).count() == 0)
        #expect(try RedisHyperLogLog(reply: .null) == RedisHyperLogLog())
        let sample = try RedisHyperLogLog(redisString: Self.sparseSample)
        #expect(sample.registers[1000] == 2 && sample.registers[1021] == 3 && sample.registers[16383] == 32)
        #expect(sample.registers.filter { $0 != 0 }.count == 4)
        #expect(try RedisHyperLogLog(redisString: HyperLogLogBytes.dense(sample.registers)) == sample)
        #expect(try RedisHyperLogLog(reply: .bulk(Self.sparseSample)) == sample)
        #expect(try RedisHyperLogLog(registers: sample.registers) == sample)
    }

    @Test func wrongMagicEncodingAndReplies() throws {
        var bytes = Self.sparseSample
        bytes[0] = UInt8(ascii: "h")
        Self.expectMalformed(bytes, mentioning: ["magic", "HYLL"], "lower-case magic")
        Self.expectMalformed(Array("HYL".utf8) + [0x4D], mentioning: ["magic"], "4 bytes, wrong")
        Self.expectMalformed(Array("hello world, not an HLL".utf8), mentioning: ["magic"], "text")
        for encoding: UInt8 in [2, 3, 0x7F, 0xFF] {
            bytes = Self.sparseSample
            bytes[4] = encoding
            Self.expectMalformed(bytes, mentioning: ["encoding", "\(encoding)"], "encoding \(encoding)")
        }
        for reply in [RedisReply.integer(1), .status("OK"), .array([])] {
            let error = #expect(throws: RedisError.self, "\(reply)") { try RedisHyperLogLog(reply: reply) }
            #expect(error?.code == .unexpectedReply)
        }
        let serverError = #expect(throws: RedisError.self) {
            try RedisHyperLogLog(reply: .error("WRONGTYPE Operation against a key holding the wrong kind of value"))
        }
        #expect(serverError?.code == .wrongType)
        #expect(throws: RedisError.self) { try RedisHyperLogLog(registers: [1, 2, 3]) }
        #expect(throws: RedisError.self) {
            try RedisHyperLogLog(registers: [UInt8](repeating: 52, count: RedisHyperLogLog.registerCount))
        }
    }

    @Test func everyTruncationIsRejected() {
        for length in 0..<Self.sparseSample.count {
            Self.expectMalformed(Array(Self.sparseSample.prefix(length)), mentioning: [], "sparse cut at \(length)")
        }
        Self.expectMalformed(Array("HYLL".utf8), mentioning: ["truncated", "header"], "magic only")
        Self.expectMalformed([], mentioning: ["truncated"], "empty string")
        // A two-byte XZERO cut after its first byte.
        Self.expectMalformed(
            HyperLogLogBytes.header(encoding: 1) + [0x7F, 0xFE, 0x40], mentioning: ["truncated", "two-byte"],
            "cut XZERO")
        let dense = HyperLogLogBytes.dense([UInt8](repeating: 5, count: RedisHyperLogLog.registerCount))
        for length in [16, 17, 100, 12_303] {
            Self.expectMalformed(Array(dense.prefix(length)), mentioning: ["truncated", "dense"], "dense at \(length)")
        }
        Self.expectMalformed(dense + [0], mentioning: ["too long"], "dense with a trailing byte")
    }

    @Test func sparseRunsMustCoverTheRegistersExactly() {
        let header = HyperLogLogBytes.header(encoding: 1)
        // XZERO:16384 then one more zero.
        Self.expectMalformed(header + [0x7F, 0xFF, 0x00], mentioning: ["past the last", "16383"], "overrun by ZERO")
        // XZERO:16383 then VAL 1×2.
        Self.expectMalformed(header + [0x7F, 0xFE, 0x81], mentioning: ["past the last"], "overrun by VAL")
        Self.expectMalformed(header + [0x7F, 0xFE], mentioning: ["cover 16383 registers"], "one short")
        Self.expectMalformed(header, mentioning: ["cover 0 registers"], "no opcodes")
        Self.expectMalformed(
            header + [UInt8](repeating: 0xFF, count: 5_000), mentioning: ["past the last"], "4-register VALs")
        #expect(throws: Never.self) { try RedisHyperLogLog(redisString: header + [0x7F, 0xFF]) }
        #expect(throws: Never.self) { try RedisHyperLogLog(redisString: header + [UInt8](repeating: 0, count: 16_384)) }
    }

    @Test func denseRegisterAboveTheMaximumIsRejected() {
        var registers = [UInt8](repeating: 3, count: RedisHyperLogLog.registerCount)
        registers[12_345] = 52
        Self.expectMalformed(
            HyperLogLogBytes.dense(registers), mentioning: ["register 12345", "52", "maximum 51"], "register 52")
        registers[12_345] = 51
        #expect(throws: Never.self) { try RedisHyperLogLog(redisString: HyperLogLogBytes.dense(registers)) }
    }

    @Test func mergeIsTheRegisterwiseMaximum() throws {
        // Every pair of register values 0...51 somewhere: 52 × 52 = 2,704 pairs in 16,384 registers.
        let left = (0..<RedisHyperLogLog.registerCount).map { UInt8($0 % 52) }
        let right = (0..<RedisHyperLogLog.registerCount).map { UInt8($0 / 52 % 52) }
        let a = try RedisHyperLogLog(registers: left)
        let b = try RedisHyperLogLog(registers: right)
        #expect(a.registers == left && b.registers == right)
        let merged = a.merging(b)
        #expect(merged.registers == zip(left, right).map { max($0, $1) })
        #expect(b.merging(a) == merged)
        #expect(merged.merging(a) == merged)
        #expect(RedisHyperLogLog.merge([nil, a, nil, b]) == merged)
        #expect(RedisHyperLogLog.merge([a]) == a)
        var accumulated = RedisHyperLogLog()
        accumulated.merge(b)
        accumulated.merge(a)
        #expect(accumulated == merged)
        #expect(!merged.isEmpty && merged.count() >= a.count())
    }

    /// Outcome counts of a fuzz run, so the run shows it reached the parsers' insides.
    struct FuzzTally {
        var parsed = 0
        var rejected = 0

        mutating func parse(_ bytes: [UInt8]) {
            do {
                let hyperLogLog = try RedisHyperLogLog(redisString: bytes)
                _ = hyperLogLog.count()
                parsed += 1
            } catch {
                #expect(error.code == .unexpectedReply)
                rejected += 1
            }
        }
    }

    @Test func tenThousandRandomByteStrings() {
        let seed: UInt64 = 0x484C_4C5F_4655_5A5A
        var generator = SeededGenerator(seed: seed)
        var tally = FuzzTally()
        for _ in 0..<10_000 {
            let choice = Int.random(in: 0..<20, using: &generator)
            let length = Int.random(in: 0...40, using: &generator)
            let random = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            switch choice {
            case 0..<8: tally.parse(random)
            // Past the magic: a random rest of the header and a short random payload.
            case 8..<12: tally.parse(Array("HYLL".utf8) + random)
            case 12..<19: tally.parse(HyperLogLogBytes.randomSparse(using: &generator))
            default:
                // A dense payload, 8 random registers per 6 bytes: half the time all at most 31 (valid), else any 6
                // bits (above 51 somewhere, nearly always); sometimes a byte or two short or long.
                let mask: UInt64 = Bool.random(using: &generator) ? 0x7DF7_DF7D_F7DF : 0xFFFF_FFFF_FFFF
                var bytes = HyperLogLogBytes.header(encoding: 0)
                bytes.reserveCapacity(bytes.count + 12_289)
                for _ in 0..<2_048 {
                    let bits = generator.next() & mask
                    for offset in 0..<6 { bytes.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(offset)))) }
                }
                switch Int.random(in: 0..<4, using: &generator) {
                case 0: bytes.removeLast(Int.random(in: 1...2, using: &generator))
                case 1: bytes.append(0)
                default: break
                }
                tally.parse(bytes)
            }
        }
        #expect(tally.parsed + tally.rejected == 10_000)
        #expect(tally.parsed > 100, "seed \(seed): too few random strings reached a successful parse")
    }

    @Test func mutationsOfValidStrings() throws {
        let seed: UInt64 = 0x4D55_5441_5445
        var generator = SeededGenerator(seed: seed)
        let sources = (0..<6).map { index in
            let registers = HyperLogLogBytes.registers(
                cardinality: [0, 3, 40, 300, 1e6, 1e12][index], using: &generator)
            return registers.allSatisfy { $0 <= 32 } && index < 4
                ? HyperLogLogBytes.sparse(registers, using: &generator) : HyperLogLogBytes.dense(registers)
        }
        var tally = FuzzTally()
        let sparse = sources.filter { $0[4] == 1 }
        for trial in 0..<3_000 {
            // Dense strings are large: mutate them one time in ten.
            let pool = trial % 10 == 0 ? sources : sparse
            var bytes = pool[Int.random(in: 0..<pool.count, using: &generator)]
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                switch Int.random(in: 0..<5, using: &generator) {
                case 0 where !bytes.isEmpty:
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] ^=
                        1 << UInt8.random(in: 0...7, using: &generator)
                case 1 where !bytes.isEmpty:
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(
                        in: 0...255, using: &generator)
                case 2: bytes.removeLast(min(bytes.count, Int.random(in: 1...3, using: &generator)))
                case 3:
                    bytes.insert(
                        UInt8.random(in: 0...255, using: &generator),
                        at: Int.random(in: 0...bytes.count, using: &generator))
                default:
                    if !bytes.isEmpty { bytes.remove(at: Int.random(in: 0..<bytes.count, using: &generator)) }
                }
            }
            tally.parse(bytes)
        }
        #expect(tally.parsed + tally.rejected == 3_000)
        #expect(tally.parsed > 0 && tally.rejected > 0, "seed \(seed)")
    }
}

/// The client-side merge and count against `PFCOUNT` on a real server.
@Suite(
    "HyperLogLog against redis-server",
    .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)"))
struct HyperLogLogServerTests {
    let prefix = TestEnvironment.uniqueKeyPrefix("hll")

    /// Runs `body` with a pool on the server shared by suites with long scripts (``addRange`` holds the server
    /// for a second or more), closed afterwards.
    func withPool<Result>(_ body: (RedisConnectionPool) async throws -> Result) async throws -> Result {
        let pool = RedisConnectionPool(
            redis: try await RedisServer.sharedForLongScripts().configuration(commandTimeout: .seconds(120)),
            configuration: .init(maximumConnections: 2))
        defer { pool.close() }
        return try await body(pool)
    }

    /// Adds the members `prefix0`, `prefix1`, … (`ARGV[1]` followed by every integer from `ARGV[2]` on, `ARGV[3]` of
    /// them) to the HyperLogLog `KEYS[1]`, a thousand per `PFADD`; with no members, one `PFADD` without any (which
    /// creates an empty HyperLogLog). The server makes the members, so large sets cost no client time.
    static let addRange = RedisScript(
        """
        local key, prefix, first, count = KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
        local batch, size = {}, 0
        for i = first, first + count - 1 do
            size = size + 1
            batch[size] = prefix .. i
            if size == 1000 then
                redis.call('PFADD', key, unpack(batch, 1, size))
                size = 0
            end
        end
        if size > 0 or count == 0 then redis.call('PFADD', key, unpack(batch, 1, size)) end
        return count
        """)

    /// `PFADD key` of the members `"<namespace>:<i>"` for every `i` in `range` (see `addRange`).
    static func add(_ key: String, namespace: UInt64, _ range: Range<Int>) -> RedisCommand {
        addRange.eval(keys: [key], arguments: ["\(namespace):", range.lowerBound, range.count])
    }

    /// `PFDEBUG subcommand key` (the key second).
    static func pfdebug(_ subcommand: String, _ key: String) -> RedisCommand {
        RedisCommand(arguments: [Array("PFDEBUG".utf8), Array(subcommand.utf8), Array(key.utf8)], keyPositions: [2])
    }

    /// What one random trial saw.
    struct TrialOutcome {
        var keys = 0
        var sparse = 0
        var dense = 0
        var missing = 0
        var members = 0
        /// Whether every count equalled `PFCOUNT`'s.
        var matched = true
    }

    /// One random trial: 1 to 6 keys with overlapping random members, then GET, merge and count on the client
    /// against `PFCOUNT` over all of them and each alone. Everything it needs comes from `seed`.
    func trial(seed: UInt64, forceLarge: Bool, pool: RedisConnectionPool) async throws -> TrialOutcome {
        var generator = SeededGenerator(seed: seed)
        let keys = (0..<Int.random(in: 1...6, using: &generator)).map { prefix + "trial:\(seed):\($0)" }
        let namespace = generator.next()
        var commands: [RedisCommand] = []
        var outcome = TrialOutcome(keys: keys.count)
        for (index, key) in keys.enumerated() {
            let size: Int
            switch Int.random(in: 0..<100, using: &generator) {
            case _ where forceLarge && index == 0: size = Int.random(in: 100_000...200_000, using: &generator)
            case 0..<4: size = 0
            // Sizes spread from 1 to 20,000, more small than large: e^(ln 20,000 · u²), a median of 12, a mean of
            // about 1,000, one key in eight past 2,000 (dense).
            default:
                let uniform = Double.random(in: 0...1, using: &generator)
                size = Int(exp(log(20_000) * uniform * uniform))
            }
            // Ranges start anywhere in the first 20,000 members, so the keys overlap.
            let start = Int.random(in: 0...20_000, using: &generator)
            // A key without members is sometimes missing, sometimes an empty HyperLogLog.
            if size > 0 || Bool.random(using: &generator) {
                commands.append(Self.add(key, namespace: namespace, start..<start + size))
            }
            outcome.members += size
        }
        let gets = commands.count
        commands += keys.map { .get($0) }
        commands.append(.pfcount(keys))
        commands += keys.map { .pfcount([$0]) }
        commands.append(.del(keys))
        let replies = try await pool.pipeline(commands)
        let context = "trial seed \(seed) (\(keys.count) keys, \(outcome.members) members)"
        for reply in replies[..<gets] where reply.isError { Issue.record("\(context): \(reply)") }
        let hyperLogLogs = try replies[gets..<gets + keys.count].map { reply in
            if case .bulk(let bytes) = reply {
                if bytes.count > 4, bytes[4] == 1 { outcome.sparse += 1 } else { outcome.dense += 1 }
            } else {
                outcome.missing += 1
            }
            return try RedisHyperLogLog(reply: reply)
        }
        let union = try replies[gets + keys.count].int()
        let merged = RedisHyperLogLog.merge(hyperLogLogs).count()
        #expect(merged == union, "\(context): PFCOUNT of all")
        outcome.matched = merged == union
        for (index, hyperLogLog) in hyperLogLogs.enumerated() {
            let single = try replies[gets + keys.count + 1 + index].int()
            let count = hyperLogLog.count()
            #expect(count == single, "\(context): PFCOUNT of key \(index)")
            outcome.matched = outcome.matched && count == single
        }
        return outcome
    }

    @Test func twoThousandRandomTrialsMatchPFCOUNT() async throws {
        let baseSeed: UInt64 = 0x2025_0000_0000
        let trials = 2_000
        // Two trials at a time, so the server adds members for one while the client counts the other.
        let outcomes = try await withPool { pool in
            try await withThrowingTaskGroup(of: [TrialOutcome].self) { group in
                for worker in 0..<2 {
                    group.addTask {
                        var outcomes: [TrialOutcome] = []
                        for index in stride(from: worker, to: trials, by: 2) {
                            outcomes.append(
                                try await trial(
                                    seed: baseSeed + UInt64(index), forceLarge: index % 250 == 7, pool: pool))
                        }
                        return outcomes
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
        }
        let keys = outcomes.reduce(0) { $0 + $1.keys }
        let sparse = outcomes.reduce(0) { $0 + $1.sparse }
        let dense = outcomes.reduce(0) { $0 + $1.dense }
        let missing = outcomes.reduce(0) { $0 + $1.missing }
        let members = outcomes.reduce(0) { $0 + $1.members }
        let mixed = outcomes.filter { $0.sparse > 0 && $0.dense > 0 }.count
        let matched = outcomes.filter(\.matched).count
        print(
            "HyperLogLog random trials: \(matched) of \(outcomes.count) matched PFCOUNT; keys \(keys) (sparse \(sparse),"
                + " dense \(dense), missing \(missing)), trials mixing sparse and dense \(mixed), members \(members)")
        #expect(outcomes.count == trials)
        #expect(matched == trials)
        #expect(sparse > 1_000 && dense > 300 && missing > 10 && mixed > 100)
    }

    @Test(arguments: [0, 1, 2, 10, 100, 1_000, 2_000, 5_000, 50_000, 200_000])
    func singleKeyCountMatches(size: Int) async throws {
        let key = prefix + "single:\(size)"
        try await withPool { pool in
            let replies = try await pool.pipeline(
                [Self.add(key, namespace: UInt64(size), 0..<size), .get(key), .pfcount([key])])
            let hyperLogLog = try RedisHyperLogLog(reply: replies[replies.count - 2])
            #expect(hyperLogLog.count() == (try replies[replies.count - 1].int()))
            #expect(RedisHyperLogLog.merge([hyperLogLog, nil]).count() == hyperLogLog.count())
            if size == 1 {
                #expect(hyperLogLog.count() == 1)
                #expect(hyperLogLog.registers.filter { $0 != 0 }.count == 1)
            }
            _ = try await pool.send(.del([key]))
        }
    }

    @Test func missingKeysCountAsEmpty() async throws {
        try await withPool { pool in
            let missing = [prefix + "missing:a", prefix + "missing:b"]
            let replies = try await pool.pipeline([.get(missing[0]), .pfcount(missing), .pfcount([missing[0]])])
            #expect(replies[0] == .null)
            let merged = RedisHyperLogLog.merge([try RedisHyperLogLog(reply: replies[0]), nil])
            #expect(merged.count() == (try replies[1].int()))
            #expect(merged.count() == (try replies[2].int()))
        }
    }

    /// The same registers read sparse, then dense after `PFDEBUG TODENSE`, give equal values, equal to the registers
    /// `PFDEBUG GETREG` lists.
    @Test(arguments: [1, 7, 100, 600, 1_200])
    func sparseAndDenseOfTheSameRegistersAreEqual(size: Int) async throws {
        let key = prefix + "todense:\(size)"
        try await withPool { pool in
            let replies = try await pool.pipeline(
                [
                    Self.add(key, namespace: 0xD0_0000 + UInt64(size), 0..<size),
                    .get(key), Self.pfdebug("TODENSE", key), .get(key),
                    Self.pfdebug("GETREG", key), .pfcount([key]), .del([key]),
                ])
            let tail = replies.suffix(6).map { $0 }
            let sparseBytes = try tail[0].bytes()
            let denseBytes = try tail[2].bytes()
            #expect(sparseBytes[4] == 1 && denseBytes[4] == 0 && denseBytes.count == 12_304)
            #expect(tail[1] == .integer(1))
            let sparse = try RedisHyperLogLog(redisString: sparseBytes)
            let dense = try RedisHyperLogLog(redisString: denseBytes)
            #expect(sparse == dense)
            #expect(sparse.hashValue == dense.hashValue)
            #expect(dense.registers.map { Int64($0) } == (try tail[3].array().map { try $0.int() }))
            #expect(sparse.count() == (try tail[4].int()))
        }
    }

    /// Crafted registers for cardinalities from 0 to 2⁶², and extreme shapes (every register at the maximum), stored
    /// with `SET` as sparse or dense strings: the client's count equals `PFCOUNT` alone and in groups, Redis'
    /// overflow to the 64-bit minimum included.
    @Test func craftedRegistersMatchPFCOUNT() async throws {
        let seed: UInt64 = 0x00C0_FFEE
        var generator = SeededGenerator(seed: seed)
        let count = RedisHyperLogLog.registerCount
        var shapes: [[UInt8]] = [
            [UInt8](repeating: 0, count: count), [UInt8](repeating: 1, count: count),
            [UInt8](repeating: 51, count: count), [UInt8](repeating: 50, count: count),
            [UInt8](repeating: 51, count: count - 1) + [50], [UInt8](repeating: 0, count: count - 1) + [51],
            [UInt8](repeating: 32, count: count),
            [UInt8](repeating: 40, count: count / 2) + [UInt8](repeating: 1, count: count / 2),
        ]
        for _ in 0..<100 {
            let cardinality = exp2(Double.random(in: 0...62, using: &generator))
            shapes.append(HyperLogLogBytes.registers(cardinality: cardinality, using: &generator))
        }
        let keys = shapes.indices.map { prefix + "crafted:\($0)" }
        var commands: [RedisCommand] = []
        var values: [RedisHyperLogLog] = []
        for (key, registers) in zip(keys, shapes) {
            let sparse = registers.allSatisfy { $0 <= 32 } && Bool.random(using: &generator)
            let bytes =
                sparse ? HyperLogLogBytes.sparse(registers, using: &generator) : HyperLogLogBytes.dense(registers)
            let value = try RedisHyperLogLog(redisString: bytes)
            #expect(value.registers == registers)
            values.append(value)
            commands.append(RedisCommand("SET", keys: [key], arguments: [bytes]))
        }
        let groups = (0..<200).map { _ in
            (0..<Int.random(in: 2...5, using: &generator)).map { _ in Int.random(in: 0..<keys.count, using: &generator)
            }
        }
        commands += keys.map { .pfcount([$0]) }
        commands += groups.map { group in .pfcount(group.map { keys[$0] }) }
        commands.append(.del(keys))
        try await withPool { pool in
            let replies = try await pool.pipeline(commands)
            for index in keys.indices {
                #expect(
                    values[index].count() == (try replies[keys.count + index].int()), "seed \(seed), shape \(index)")
            }
            for (offset, group) in groups.enumerated() {
                let merged = RedisHyperLogLog.merge(group.map { values[$0] })
                #expect(merged.count() == (try replies[2 * keys.count + offset].int()), "seed \(seed), group \(group)")
            }
        }
        #expect(values[0].count() == 0)
        #expect(values[2].count() == .min, "Redis replies with the 64-bit minimum when the estimate overflows")
    }

    /// Strings Redis made (four sparse, one dense), mutated by one bit and stored with `SET`: whenever the client
    /// accepts one, Redis' multi-key `PFCOUNT` accepts it too and agrees on the count (the client is stricter, never
    /// looser: it also refuses registers above 51, which `PFCOUNT` tolerates).
    @Test func mutatedStringsTheClientAcceptsCountAsRedis() async throws {
        let seed: UInt64 = 0x0BAD_F00D
        var generator = SeededGenerator(seed: seed)
        let sizes = [3, 50, 400, 1_200, 100_000]
        let sourceKeys = sizes.map { prefix + "mutated:source:\($0)" }
        let sources = try await withPool { pool in
            let replies = try await pool.pipeline(
                zip(sourceKeys, sizes).map { Self.add($0, namespace: 0x3A7E, 0..<$1) } + sourceKeys.map { .get($0) }
                    + [.del(sourceKeys)])
            return try replies[sizes.count..<2 * sizes.count].map { try $0.bytes() }
        }
        #expect(sources.map { $0[4] } == [1, 1, 1, 1, 0])
        let missing = prefix + "mutated:missing"
        var accepted = 0
        try await withPool { pool in
            for batch in 0..<10 {
                var mutated: [(key: String, value: RedisHyperLogLog)] = []
                var commands: [RedisCommand] = []
                for index in 0..<100 {
                    var bytes = sources[Int.random(in: 0..<sources.count, using: &generator)]
                    let position = Int.random(in: 4..<bytes.count, using: &generator)
                    bytes[position] ^= 1 << UInt8.random(in: 0...7, using: &generator)
                    guard let value = try? RedisHyperLogLog(redisString: bytes) else { continue }
                    let key = prefix + "mutated:\(batch):\(index)"
                    mutated.append((key, value))
                    commands += [RedisCommand("SET", keys: [key], arguments: [bytes]), .pfcount([key, missing])]
                }
                if !mutated.isEmpty { commands.append(.del(mutated.map(\.key))) }
                let replies = try await pool.pipeline(commands)
                for (offset, entry) in mutated.enumerated() {
                    #expect(
                        replies[2 * offset + 1] == .integer(entry.value.count()), "seed \(seed), \(entry.key)")
                }
                accepted += mutated.count
            }
        }
        #expect(accepted > 100, "seed \(seed)")
    }
}
