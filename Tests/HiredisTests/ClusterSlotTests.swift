import Hiredis
import Testing

@Suite("Cluster hash slots")
struct ClusterSlotTests {
    @Test func crc16OfTheSpecVector() {
        #expect(RedisClusterSlot.crc16(Array("123456789".utf8)) == 0x31C3)
        #expect(RedisClusterSlot.crc16([]) == 0)
    }

    /// Slots `CLUSTER KEYSLOT` gives on Redis 7.0 (and the spec's examples).
    @Test(arguments: [
        ("123456789", 12739),
        ("foo", 12182),
        ("bar", 5061),
        ("somekey", 11058),
        ("", 0),
    ])
    func knownSlots(key: String, slot: Int) {
        #expect(RedisClusterSlot(key: key).number == slot)
    }

    @Test(arguments: [
        // GitLab's keys: only the tag is hashed.
        ("{event_counters}_foo", "event_counters"),
        ("{hll_counters}_bar-2025-07", "hll_counters"),
        ("user:{42}:profile", "42"),
        // Edge cases from the cluster spec.
        ("{}", "{}"),
        ("{", "{"),
        ("}{", "}{"),
        ("foo{}{bar}", "foo{}{bar}"),
        ("foo{{bar}}", "{bar"),
        ("foo{bar}{zap}", "bar"),
        ("{user1000}.following", "user1000"),
    ])
    func hashTags(key: String, hashed: String) {
        #expect(String(decoding: RedisClusterSlot.hashedPart(of: Array(key.utf8)), as: UTF8.self) == hashed)
        #expect(RedisClusterSlot(key: key) == RedisClusterSlot(key: hashed))
    }

    @Test func keysOfOneTagShareASlot() {
        let slot = RedisClusterSlot(key: "{event_counters}_a")
        #expect(RedisClusterSlot(key: "{event_counters}_b_2025-W30") == slot)
        #expect(RedisClusterSlot(key: "event_counters") == slot)
    }

    @Test func binaryKeys() {
        let key: [UInt8] = [0x00, 0xFF, UInt8(ascii: "{"), 0x01, UInt8(ascii: "}"), 0x80]
        #expect(RedisClusterSlot(key: key) == RedisClusterSlot(key: [UInt8]([0x01])))
    }

    @Test func slotNumbersOutsideTheRangeAreRefused() {
        #expect(RedisClusterSlot(checking: 16_384) == nil)
        #expect(RedisClusterSlot(checking: -1) == nil)
        #expect(RedisClusterSlot(checking: 16_383)?.number == 16_383)
    }

    @Test func commandRoutesByItsKeys() throws {
        #expect(try RedisCommand.incr("{a}x").clusterSlot() == RedisClusterSlot(key: "a"))
        #expect(try RedisCommand.mget(["{a}x", "{a}y"]).clusterSlot() == RedisClusterSlot(key: "a"))
        #expect(
            try RedisCommand.eval("return 1", keys: ["{b}1"], arguments: ["{c}"]).clusterSlot()
                == RedisClusterSlot(key: "b"))
        #expect(try RedisCommand.ping.clusterSlot() == nil)
        // CLUSTER KEYSLOT's key is an argument, not a routed key.
        #expect(try RedisCommand.clusterKeySlot("x").clusterSlot() == nil)
    }

    /// A pipeline's slots, computed once per run of a repeated key, are each command's own slot.
    @Test func aPipelinesSlotsAreItsCommandsSlots() throws {
        let commands: [RedisCommand] = [
            .incr("a"), .incr("a"), .incr("b"), .incr("a"), .ping, .mget(["{c}1", "{c}2"]), .incr("{c}3"), .incr("c"),
            .get("{d}"), .get("{d}"), .set("x", "1"),
        ]
        let slots = try RedisCommand.clusterSlots(of: commands)
        #expect(slots == (try commands.map { try $0.clusterSlot() }))
        let error = try #require(throws: RedisError.self) {
            try RedisCommand.clusterSlots(of: [.incr("a"), .mget(["foo", "bar"])])
        }
        #expect(error.code == .crossSlot)
    }

    @Test func commandOverTwoSlotsIsAProgrammingError() throws {
        let error = try #require(throws: RedisError.self) { try RedisCommand.mget(["foo", "bar"]).clusterSlot() }
        #expect(error.code == .crossSlot)
        #expect(error.message.contains("programming error"))
        #expect(error.message.contains("\"foo\"") && error.message.contains("\"bar\""))
    }
}

@Suite("Cluster slot maps and redirects")
struct ClusterTopologyTests {
    let node = RedisClusterAddress(host: "10.0.0.1", port: 7000)

    @Test func addresses() {
        #expect(RedisClusterAddress("127.0.0.1:7000") == RedisClusterAddress(host: "127.0.0.1", port: 7000))
        #expect(RedisClusterAddress("::1:7000") == RedisClusterAddress(host: "::1", port: 7000))
        #expect(RedisClusterAddress("[::1]:7000")?.description == "[::1]:7000")
        #expect(RedisClusterAddress(":7000") == RedisClusterAddress(host: "", port: 7000))
        #expect(RedisClusterAddress("host") == nil)
        #expect(RedisClusterAddress("host:0") == nil)
        #expect(RedisClusterAddress("host:x") == nil)
    }

    @Test func redirects() throws {
        let moved = try #require(
            RedisClusterRedirect(RedisError(serverReply: "MOVED 3999 127.0.0.1:6381"), answeredBy: node))
        #expect(
            moved == RedisClusterRedirect(kind: .moved, slot: RedisClusterSlot(3999), address: .init("127.0.0.1:6381")!)
        )
        let ask = try #require(RedisClusterRedirect(RedisError(serverReply: "ASK 1 :6390"), answeredBy: node))
        #expect(
            ask
                == RedisClusterRedirect(
                    kind: .ask, slot: RedisClusterSlot(1), address: .init(host: "10.0.0.1", port: 6390)))
        // A transaction's error keeps the refused command's line first.
        var queued = RedisError(serverReply: "MOVED 5 10.0.0.2:7001")
        queued.message += " (EXECABORT Transaction discarded because of previous errors.)"
        #expect(RedisClusterRedirect(queued, answeredBy: node)?.address.port == 7001)
        #expect(RedisClusterRedirect(RedisError(serverReply: "MOVED 99999 h:1"), answeredBy: node) == nil)
        #expect(RedisClusterRedirect(RedisError(serverReply: "ERR MOVED 1 h:1"), answeredBy: node) == nil)
        #expect(RedisClusterRedirect(RedisError(serverReply: "TRYAGAIN Multiple keys"), answeredBy: node) == nil)
    }

    private func map(_ pairs: [(String, RedisReply)]) -> RedisReply {
        .array(pairs.flatMap { [RedisReply.bulk(Array($0.0.utf8)), $0.1] })
    }

    private func shardNode(
        _ id: String, port: Int64, role: String, health: String = "online", endpoint: String = "127.0.0.1"
    )
        -> RedisReply
    {
        map([
            ("id", .bulk(Array(id.utf8))), ("port", .integer(port)), ("ip", .bulk(Array("127.0.0.1".utf8))),
            ("endpoint", .bulk(Array(endpoint.utf8))), ("role", .bulk(Array(role.utf8))),
            ("replication-offset", .integer(0)), ("health", .bulk(Array(health.utf8))),
        ])
    }

    @Test func shardsReply() throws {
        let reply = RedisReply.array([
            map([
                ("slots", .array([.integer(0), .integer(5460), .integer(10000), .integer(10001)])),
                (
                    "nodes",
                    .array([shardNode("a", port: 7000, role: "master"), shardNode("d", port: 7003, role: "replica")])
                ),
            ]),
            map([
                ("slots", .array([.integer(5461), .integer(9999)])),
                // Mid-failover: the failed old master still says master; the online one serves.
                (
                    "nodes",
                    .array([
                        shardNode("b", port: 7001, role: "master", health: "failed"),
                        shardNode("e", port: 7004, role: "master", endpoint: "?"),
                    ])
                ),
            ]),
            // An empty shard (a master without slots) serves nothing.
            map([("slots", .array([])), ("nodes", .array([shardNode("f", port: 7005, role: "master")]))]),
        ])
        let topology = try RedisClusterTopology(shardsReply: reply, answeredBy: node)
        #expect(topology.master(for: RedisClusterSlot(0))?.port == 7000)
        #expect(topology.master(for: RedisClusterSlot(10_001))?.port == 7000)
        #expect(topology.master(for: RedisClusterSlot(5461)) == RedisClusterAddress(host: "127.0.0.1", port: 7004))
        #expect(topology.master(for: RedisClusterSlot(10_002)) == nil)
        #expect(topology.assignedSlotCount == 5461 + 2 + 4539)
        #expect(topology.shards[0].replicas.map(\.id) == ["d"])
        #expect(topology.shards[1].replicas.map(\.id) == ["b"])
        #expect(topology.allAddresses.count == 5)
    }

    @Test func slotsReply() throws {
        func entry(_ host: String, _ port: Int64) -> RedisReply {
            .array([.bulk(Array(host.utf8)), .integer(port), .bulk(Array("id\(port)".utf8)), .array([])])
        }
        let reply = RedisReply.array([
            .array([.integer(0), .integer(99), entry("127.0.0.1", 7000), entry("127.0.0.1", 7003)]),
            .array([.integer(100), .integer(199), entry("", 7001)]),
            .array([.integer(200), .integer(200), entry("127.0.0.1", 7000)]),
        ])
        let topology = try RedisClusterTopology(slotsReply: reply, answeredBy: node)
        #expect(topology.master(for: RedisClusterSlot(99))?.port == 7000)
        #expect(topology.master(for: RedisClusterSlot(100)) == RedisClusterAddress(host: "10.0.0.1", port: 7001))
        #expect(topology.master(for: RedisClusterSlot(200))?.port == 7000)
        #expect(topology.master(for: RedisClusterSlot(201)) == nil)
        #expect(topology.shards.count == 2)
        #expect(topology.shards[0].slots == [0...99, 200...200])
        #expect(topology.shards[0].replicas.map(\.address.port) == [7003])
    }

    @Test func malformedRepliesNameWhatIsWrong() {
        let odd = RedisReply.array([.array([.bulk(Array("slots".utf8))])])
        #expect(throws: RedisError.self) { try RedisClusterTopology(shardsReply: odd, answeredBy: node) }
        do {
            _ = try RedisClusterTopology(
                slotsReply: .array([.array([.integer(5), .integer(1), .array([])])]), answeredBy: node)
            Issue.record("a reversed range was accepted")
        } catch {
            #expect(error.code == .unexpectedReply)
            #expect(error.message.contains("CLUSTER SLOTS range 0"))
        }
        let outside = RedisReply.array([
            map([
                ("slots", .array([.integer(16_000), .integer(16_384)])),
                ("nodes", .array([shardNode("a", port: 7000, role: "master")])),
            ])
        ])
        #expect(throws: RedisError.self) { try RedisClusterTopology(shardsReply: outside, answeredBy: node) }
        let negative = RedisReply.array([.array([.integer(-1), .integer(3), .array([.bulk([]), .integer(1)])])])
        #expect(throws: RedisError.self) { try RedisClusterTopology(slotsReply: negative, answeredBy: node) }
        do {
            _ = try RedisClusterTopology(shardsReply: .error("ERR unknown subcommand 'SHARDS'"), answeredBy: node)
            Issue.record("an error reply was accepted")
        } catch {
            #expect(error.code == .serverError)
        }
    }

    @Test func movedCorrectsOneSlot() throws {
        let topology = RedisClusterTopology(shards: [
            .init(slots: [0...16383], master: .init(address: .init(host: "a", port: 1)))
        ])
        let moved = topology.movingSlot(RedisClusterSlot(7), to: .init(host: "b", port: 2))
        #expect(moved.master(for: RedisClusterSlot(7))?.host == "b")
        #expect(moved.master(for: RedisClusterSlot(8))?.host == "a")
        #expect(moved.masters.count == 2)
        #expect(topology.master(for: RedisClusterSlot(7))?.host == "a")
    }

    /// A pipeline whose commands all go to one master is sent as it is: `soleMaster(of:)` finds that master, and
    /// says `nil` when the slots span two masters or one has none.
    @Test func soleMasterOfAPipelinesSlots() {
        let a = RedisClusterAddress(host: "a", port: 1)
        let b = RedisClusterAddress(host: "b", port: 2)
        let topology = RedisClusterTopology(shards: [
            .init(slots: [0...99], master: .init(address: a)), .init(slots: [100...199], master: .init(address: b)),
        ])
        let (low, high, free) = (RedisClusterSlot(5), RedisClusterSlot(150), RedisClusterSlot(300))
        #expect(topology.soleMaster(of: [low, low, RedisClusterSlot(99)]) == a)
        #expect(topology.soleMaster(of: [high]) == b)
        #expect(topology.soleMaster(of: [nil, low]) == a, "a command without keys goes to the first master")
        #expect(topology.soleMaster(of: [nil, high]) == nil)
        #expect(topology.soleMaster(of: [low, high]) == nil)
        #expect(topology.soleMaster(of: [low, free]) == nil, "a slot without master")
        #expect(RedisClusterTopology(shards: []).soleMaster(of: [nil]) == nil)
        #expect(topology.movingSlot(low, to: b).soleMaster(of: [low, high]) == b)
    }

    @Test func backoffDoublesUpToItsMaximum() {
        let backoff = RedisClusterConfiguration.Backoff(
            maximumRetries: 10, initialDelay: .milliseconds(10), maximumDelay: .milliseconds(50))
        #expect((0..<5).map { backoff.delay(beforeRetry: $0) } == [10, 20, 40, 50, 50].map { .milliseconds($0) })
    }
}

@Suite("Hash tags of slots")
struct SlotHashTagTests {
    @Test func everySlotsTagPutsAKeyInThatSlot() {
        for number in 0..<RedisClusterSlot.count {
            let slot = RedisClusterSlot(number)
            #expect(RedisClusterSlot(key: "tally:flush:{\(slot.hashTag)}:x") == slot, "\(slot)")
        }
    }

    @Test func tagsAreShortNumbers() {
        let longest = (0..<RedisClusterSlot.count).map { RedisClusterSlot($0).hashTag.count }.max()
        #expect(longest.map { $0 <= 6 } == true)
        #expect(Int(RedisClusterSlot(key: "event_counters").hashTag) != nil)
    }
}
