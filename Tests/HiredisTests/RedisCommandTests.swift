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

@Suite("Command builders")
struct RedisCommandBuilderTests {
    @Test func setOptions() {
        #expect(RedisCommand.set("k", "v").description == "SET k v")
        #expect(
            RedisCommand.set("k", "v", condition: .ifNotExists, expiration: .seconds(60)).description
                == "SET k v NX EX 60")
        #expect(RedisCommand.set("k", "v", expiration: .milliseconds(1_500)).description == "SET k v PX 1500")
        #expect(
            RedisCommand.set("k", "v", condition: .ifExists, expiration: .keepTTL).description == "SET k v XX KEEPTTL")
        #expect(RedisCommand.set("k", "v", condition: .ifNotExists).keys == [Array("k".utf8)])
    }

    @Test func expiryCommands() {
        #expect(RedisCommand.expire("k", seconds: 10).description == "EXPIRE k 10")
        #expect(RedisCommand.expire("k", seconds: 10, condition: .ifLonger).description == "EXPIRE k 10 GT")
        #expect(RedisCommand.expire("k", seconds: 10, condition: .ifShorter).description == "EXPIRE k 10 LT")
        #expect(RedisCommand.expire("k", seconds: 10, condition: .ifHasTTL).description == "EXPIRE k 10 XX")
        #expect(RedisCommand.expireIfUnset("k", seconds: 10) == .expire("k", seconds: 10, condition: .ifNoTTL))
        #expect(RedisCommand.pexpire("k", milliseconds: 500).description == "PEXPIRE k 500")
        #expect(RedisCommand.pexpire("k", milliseconds: 500, condition: .ifNoTTL).description == "PEXPIRE k 500 NX")
        #expect(RedisCommand.pttl("k").keys == [Array("k".utf8)])
        #expect(RedisCommand.getdel("k").description == "GETDEL k")
        #expect(RedisCommand.getdel("k").keys == [Array("k".utf8)])
    }

    @Test func scriptCommandsCarryTheirKeys() {
        let eval = RedisCommand.eval("return 1", keys: ["a", "b"], arguments: ["x", 7])
        #expect(eval.description == "EVAL \"return 1\" 2 a b x 7")
        #expect(eval.keys == [Array("a".utf8), Array("b".utf8)])
        #expect(RedisCommand.eval("return 1").description == "EVAL \"return 1\" 0")
        #expect(RedisCommand.eval("return 1").keys.isEmpty)
        let sha = String(repeating: "a", count: 40)
        let evalSHA = RedisCommand.evalSHA(sha, keys: ["k"], arguments: ["v"])
        #expect(evalSHA.description == "EVALSHA \(sha) 1 k v")
        #expect(evalSHA.keys == [Array("k".utf8)])
        #expect(RedisCommand.scriptLoad("return 1").description == "SCRIPT LOAD \"return 1\"")
        #expect(RedisCommand.scriptLoad("return 1").keys.isEmpty)
        #expect(RedisScript("return 1").eval(keys: ["k"]) == .eval("return 1", keys: ["k"]))
    }
}
