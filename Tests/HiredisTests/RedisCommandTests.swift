import Hiredis
import Testing

@Suite("Commands")
struct RedisCommandTests {
    @Test func commandsCarryTheirKeys() {
        #expect(RedisCommand.incr("a").keys == [Array("a".utf8)])
        #expect(RedisCommand.set("k", "v").keys == [Array("k".utf8)])
        #expect(RedisCommand.pfcount(["x", "y"]).keys == [Array("x".utf8), Array("y".utf8)])
        #expect(RedisCommand.pfadd("h", ["1", "2"]).keys == [Array("h".utf8)])
        #expect(RedisCommand.ping.keys.isEmpty)
        #expect(RedisCommand.echo("not a key").keys.isEmpty)
        let custom = RedisCommand(
            arguments: [Array("EVAL".utf8), Array("return 1".utf8), Array("1".utf8), Array("k".utf8)], keyPositions: [3]
        )
        #expect(custom.keys == [Array("k".utf8)])
    }

    @Test func argumentsAreEncoded() {
        let command = RedisCommand.incrByFloat("sum", 2.5)
        #expect(command.arguments.map { String(decoding: $0, as: UTF8.self) } == ["INCRBYFLOAT", "sum", "2.5"])
        #expect(RedisCommand.expireIfUnset("k", seconds: 3_628_800).description == "EXPIRE k 3628800 NX")
    }

    @Test func descriptionQuotesLikeRedisCli() {
        #expect(
            RedisCommand.set("{hll_counters}_a-2025-07", "x y").description == "SET {hll_counters}_a-2025-07 \"x y\"")
        #expect(RedisCommand.set([0, 13, 10], "").description == "SET \"\\x00\\r\\n\" \"\"")
    }
}
