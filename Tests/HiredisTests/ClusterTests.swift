import Hiredis
import TallyTestSupport
import Testing

/// Against one real 6-node cluster (3 masters, 3 replicas), started once for the suite. Serialized: some tests move
/// slots, and each moves only the slot of its own fresh hash tag, but the counters they check are easier to read
/// without other tests' traffic.
@Suite(
    "Redis Cluster client",
    .serialized,
    .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)"))
struct ClusterTests {
    let cluster: RedisCluster
    let prefix = TestEnvironment.uniqueKeyPrefix("cluster")

    init() async throws {
        cluster = try await RedisCluster.shared()
    }

    private func makeClient(
        maximumRedirects: Int = 5, backoff: RedisClusterConfiguration.Backoff = .init()
    ) -> RedisClusterClient {
        var configuration = cluster.configuration()
        configuration.maximumRedirects = maximumRedirects
        configuration.backoff = backoff
        return RedisClusterClient(configuration: configuration)
    }

    /// A fresh hash tag whose slot holds no key yet (other tests' keys may land in any slot), and its master.
    private func freshSlot(
        _ label: String
    ) async throws -> (tag: String, slot: RedisClusterSlot, master: RedisCluster.Node) {
        let masters = try await cluster.nodes().filter(\.isMaster)
        for number in 0..<1_000 {
            let tag = "{\(prefix)\(label)\(number)}"
            let slot = RedisClusterSlot(key: tag)
            if let master = masters.first(where: { $0.serves(slot) }),
                try await cluster.keyCount(in: slot, onPort: master.port) == 0
            {
                return (tag, slot, master)
            }
        }
        throw RedisError(code: .unexpectedReply, message: "no fresh slot found")
    }

    @Test func keySlotsAgreeWithTheServer() async throws {
        var generator = SeededGenerator(seed: 15)
        let alphabet = Array("abc{}{}xyz_-:0123456789".utf8)
        let keys: [[UInt8]] = (0..<1_000).map { number in
            let length = Int.random(in: 0...24, using: &generator)
            let bytes = (0..<length).map { _ in
                Bool.random(using: &generator)
                    ? alphabet.randomElement(using: &generator)!
                    : UInt8.random(in: 0...255, using: &generator)
            }
            return number < 500 ? bytes : Array("{event_counters}_\(number)-2025-W30".utf8) + bytes
        }
        let node = try await AsyncRedisConnection.connect(
            configuration: RedisConfiguration(endpoint: .tcp(host: "127.0.0.1", port: cluster.servers[0].port)))
        let replies = try await node.pipeline(keys.map { RedisCommand.clusterKeySlot($0) })
        for (key, reply) in zip(keys, replies) {
            #expect(try Int(reply.int()) == RedisClusterSlot(key: key).number, "key \(key)")
        }
    }

    @Test func slotMapMatchesTheCluster() async throws {
        let client = makeClient()
        defer { client.close() }
        let topology = try await client.refreshTopology()
        let nodes = try await cluster.nodes()
        let masters = nodes.filter(\.isMaster)
        #expect(topology.assignedSlotCount == RedisClusterSlot.count)
        #expect(Set(topology.masters) == Set(masters.map(\.address)))
        #expect(topology.shards.count == 3)
        for shard in topology.shards {
            let master = try #require(masters.first { $0.address == shard.master.address })
            #expect(shard.master.id == master.id)
            #expect(shard.replicas.map(\.id) == nodes.filter { $0.masterID == master.id }.map(\.id))
            for range in master.slots {
                #expect(topology.master(for: RedisClusterSlot(range.lowerBound)) == master.address)
                #expect(topology.master(for: RedisClusterSlot(range.upperBound)) == master.address)
            }
        }
    }

    @Test func slotsReplyGivesTheSameMapAsShards() async throws {
        let node = cluster.addresses[0]
        let shards = try RedisClusterTopology(
            shardsReply: try await cluster.send(.clusterShards, to: node.port), answeredBy: node)
        let slots = try RedisClusterTopology(
            slotsReply: try await cluster.send(.clusterSlots, to: node.port), answeredBy: node)
        #expect(slots.assignedSlotCount == RedisClusterSlot.count)
        #expect(
            (0..<RedisClusterSlot.count).allSatisfy {
                slots.master(for: RedisClusterSlot($0)) == shards.master(for: RedisClusterSlot($0))
            })
        #expect(Set(slots.shards.map(\.master.id)) == Set(shards.shards.map(\.master.id)))
    }

    @Test func sendAndPipelineOverEveryMaster() async throws {
        let client = makeClient()
        defer { client.close() }
        let masters = try await cluster.nodes().filter(\.isMaster)
        // 300 keys without a shared tag: they spread over the three masters.
        let keys = (0..<300).map { "\(prefix)spread:\($0)" }
        let owners = Dictionary(grouping: keys) { key in
            masters.first { $0.serves(RedisClusterSlot(key: key)) }?.port ?? 0
        }
        #expect(Set(owners.keys) == Set(masters.map(\.port)))
        let writes = try await client.pipeline(keys.enumerated().map { .incrBy($0.element, Int64($0.offset)) })
        #expect(writes == keys.indices.map { .integer(Int64($0)) })
        // Reads and writes interleaved over every node: answered in the caller's order.
        var mixed: [RedisCommand] = []
        for (index, key) in keys.enumerated() { mixed += [.get(key), .incr(key), .echo("\(index)")] }
        let replies = try await client.pipeline(mixed)
        for (index, key) in keys.enumerated() {
            #expect(try replies[3 * index].optionalIntegerString() == Int64(index), "\(key)")
            #expect(replies[3 * index + 1] == .integer(Int64(index + 1)))
            #expect(try replies[3 * index + 2].string() == "\(index)")
        }
        // Every key is where its slot says: its master answers it directly.
        for (port, owned) in owners {
            let value = try await cluster.send(.get(owned[0]), to: port)
            #expect(value.serverError == nil, "\(value)")
        }
        #expect(try await client.send(.get(keys[7])).optionalIntegerString() == 8)
        #expect(try await client.send(.ping) == .status("PONG"))
        #expect(client.statistics.moved == 0)
        #expect(client.statistics.topologyReads == 1)
        #expect(client.statistics.pools == 3)
    }

    /// The same code runs on one server and on the cluster through `RedisClient`.
    @Test func oneProtocolForAServerAndACluster() async throws {
        func roundTrip(_ redis: some RedisClient, _ key: String) async throws -> [RedisReply] {
            _ = try await redis.send(.incrBy(key + "a", 2))
            let exec = try await redis.transaction([.incr(key + "a"), .incr(key + "b")])
            return try await redis.pipeline([.get(key + "a"), .get(key + "b")]) + exec
        }
        let pool = RedisConnectionPool(redis: try await RedisServer.shared().configuration())
        let client = try RedisClusterClient(url: cluster.url)
        defer {
            pool.close()
            client.close()
        }
        let expected: [RedisReply] = [.bulk(Array("3".utf8)), .bulk(Array("1".utf8)), .integer(3), .integer(1)]
        #expect(try await roundTrip(pool, "{\(prefix)protocol}") == expected)
        #expect(try await roundTrip(client, "{\(prefix)protocol}") == expected)
    }

    @Test func scriptsRunOnTheirKeysMasterAndAreSentWholeOncePerNode() async throws {
        let client = makeClient()
        defer { client.close() }
        let script = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")
        let masters = try await cluster.nodes().filter(\.isMaster)
        // One key per master: each node gets EVALSHA, answers NOSCRIPT the first time, then EVAL.
        var keyOf: [String: String] = [:]
        for number in 0..<1_000 where keyOf.count < masters.count {
            let key = "\(prefix)script:\(number)"
            if let owner = masters.first(where: { $0.serves(RedisClusterSlot(key: key)) }), keyOf[owner.id] == nil {
                keyOf[owner.id] = key
            }
        }
        let keys = Array(keyOf.values)
        #expect(keys.count == 3)
        for round in 1...2 {
            for key in keys {
                #expect(try await client.evaluate(script, keys: [key], arguments: [5]) == .integer(Int64(5 * round)))
            }
        }
        // SCRIPT LOAD reached one master; EVAL after NOSCRIPT cached the script on the others.
        let sha1 = try #require(script.sha1)
        for master in masters {
            let exists = try await cluster.send(RedisCommand("SCRIPT", arguments: ["EXISTS", sha1]), to: master.port)
            #expect(exists == .array([.integer(1)]))
        }
        let error = try #require(
            await redisError { () async throws(RedisError) in
                try await client.evaluate(script, keys: ["{\(prefix)a}", "{\(prefix)b}"], arguments: [1])
            })
        #expect(error.code == .crossSlot)
    }

    @Test func transactionInOneSlot() async throws {
        let client = makeClient()
        defer { client.close() }
        let (tag, _, _) = try await freshSlot("multi")
        let results = try await client.transaction([
            .incr(tag + "a"), .incrBy(tag + "b", 5), .get(tag + "a"),
        ])
        #expect(results == [.integer(1), .integer(5), .bulk(Array("1".utf8))])
    }

    @Test func transactionOverTwoSlotsIsAProgrammingErrorAndSendsNothing() async throws {
        let client = makeClient()
        defer { client.close() }
        let error = try #require(
            await redisError { () async throws(RedisError) in
                try await client.transaction([.incr("{\(prefix)one}a"), .incr("{\(prefix)two}b")])
            })
        #expect(error.code == .crossSlot)
        #expect(error.message.contains("programming error"))
        #expect(error.message.contains("Nothing was sent"))
        // One command over two slots in a pipeline: refused before any of the pipeline is sent.
        let pipelined = try #require(
            await redisError { () async throws(RedisError) in
                try await client.pipeline([.incr("{\(prefix)one}a"), .mget(["{\(prefix)one}a", "{\(prefix)two}b"])])
            })
        #expect(pipelined.code == .crossSlot)
        // Not even the slot map was read: no node was asked anything.
        #expect(client.statistics == RedisClusterClient.Statistics())
        #expect(try await client.send(.exists(["{\(prefix)one}a"])) == .integer(0))
    }

    @Test func staleSlotMapFollowsMoved() async throws {
        let client = makeClient()
        let strict = makeClient(maximumRedirects: 0)
        let transactional = makeClient()
        defer {
            client.close()
            strict.close()
            transactional.close()
        }
        let (tag, slot, source) = try await freshSlot("moved")
        let key = tag + "counter"
        #expect(try await client.send(.incrBy(key, 41)) == .integer(41))
        _ = try await strict.send(.get(key))
        _ = try await transactional.send(.get(key))
        let target = try #require(try await cluster.nodes().first { $0.isMaster && $0.id != source.id })
        try await cluster.beginMigration(of: slot, from: source, to: target)
        try await cluster.migrate(keys: [key], from: source, to: target)
        try await cluster.finishMigration(of: slot, from: source, to: target)

        // The client's map still says `source`: it answers MOVED, and the client follows it to `target`.
        #expect(client.topology?.master(for: slot) == source.address)
        #expect(try await client.send(.incr(key)) == .integer(42))
        #expect(client.statistics.moved == 1)
        #expect(client.topology?.master(for: slot) == target.address)
        #expect(try await client.pipeline([.incr(key), .get(key)]) == [.integer(43), .bulk(Array("43".utf8))])
        #expect(try await client.transaction([.incr(key)]) == [.integer(44)])
        #expect(client.statistics.moved == 1)

        // A transaction on the stale map: the queued command is refused with MOVED (EXEC then discards everything),
        // and the whole transaction runs again on `target`, once.
        #expect(
            try await transactional.transaction([.incr(key), .get(key)]) == [.integer(45), .bulk(Array("45".utf8))])
        #expect(transactional.statistics.moved == 1)
        #expect(try await client.send(.get(key)) == .bulk(Array("45".utf8)))

        // Without redirects allowed, the same stale map is a clear error.
        let error = try #require(await redisError { () async throws(RedisError) in try await strict.send(.get(key)) })
        #expect(error.code == .tooManyRedirects)
        #expect(error.message.contains("MOVED \(slot.number) 127.0.0.1:\(target.port)"))
    }

    @Test func askDuringMigration() async throws {
        let client = makeClient()
        defer { client.close() }
        let (tag, slot, source) = try await freshSlot("ask")
        let target = try #require(try await cluster.nodes().first { $0.isMaster && $0.id != source.id })
        let moved = tag + "moved"
        let stays = tag + "stays"
        _ = try await client.pipeline([.set(moved, "10"), .set(stays, "20")])
        try await cluster.beginMigration(of: slot, from: source, to: target)
        try await cluster.migrate(keys: [moved], from: source, to: target)

        // The source still serves `stays`; for `moved` it answers ASK, and ASKING + the command go to the target.
        let replies = try await client.pipeline([.get(moved), .get(stays), .incr(moved), .incr(stays), .get(moved)])
        #expect(
            replies == [
                .bulk(Array("10".utf8)), .bulk(Array("20".utf8)), .integer(11), .integer(21), .bulk(Array("11".utf8)),
            ])
        #expect(client.statistics.ask == 3)
        #expect(try await client.send(.incr(moved)) == .integer(12))
        // One ASKING before MULTI covers the whole transaction on the target.
        #expect(try await client.transaction([.incr(moved), .incr(moved)]) == [.integer(13), .integer(14)])
        #expect(client.statistics.ask == 5)
        // The map is not changed by ASK: the slot is still the source's until the migration ends.
        #expect(client.topology?.master(for: slot) == source.address)
        #expect(try await cluster.send(.get(moved), to: target.port).serverError?.code == .moved)

        try await cluster.migrate(keys: [stays], from: source, to: target)
        try await cluster.finishMigration(of: slot, from: source, to: target)
        #expect(
            try await client.send(.mget([moved, stays])) == .array([.bulk(Array("14".utf8)), .bulk(Array("21".utf8))]))
        #expect(client.statistics.moved == 1)
    }

    @Test func tryAgainIsRetriedWithBoundedBackoff() async throws {
        let (tag, slot, source) = try await freshSlot("tryagain")
        let target = try #require(try await cluster.nodes().first { $0.isMaster && $0.id != source.id })
        let first = tag + "first"
        let second = tag + "second"
        let setup = makeClient()
        defer { setup.close() }
        _ = try await setup.pipeline([.set(first, "1"), .set(second, "2")])
        try await cluster.beginMigration(of: slot, from: source, to: target)
        try await cluster.migrate(keys: [first], from: source, to: target)

        // A multi-key command over keys on both nodes can't run until the migration ends: TRYAGAIN, retried a
        // bounded number of times, then the reply is the caller's.
        let impatient = makeClient(
            backoff: .init(maximumRetries: 3, initialDelay: .milliseconds(1), maximumDelay: .milliseconds(4)))
        defer { impatient.close() }
        let clock = ContinuousClock()
        let started = clock.now
        let reply = try await impatient.send(.mget([first, second]))
        #expect(reply.serverError?.code == .tryAgain)
        #expect(impatient.statistics.tryAgain == 4)
        #expect(clock.now - started < .seconds(5))
        await #expect(throws: RedisError.self) { try await impatient.transaction([.mget([first, second])]) }
        #expect(impatient.statistics.tryAgain == 8)

        // A patient client's retry succeeds once the migration ends meanwhile.
        let patient = makeClient(
            backoff: .init(maximumRetries: 100, initialDelay: .milliseconds(5), maximumDelay: .milliseconds(50)))
        defer { patient.close() }
        async let values = patient.send(.mget([first, second]))
        #expect(await TestEnvironment.waitUntil { patient.statistics.tryAgain >= 1 })
        try await cluster.migrate(keys: [second], from: source, to: target)
        try await cluster.finishMigration(of: slot, from: source, to: target)
        #expect(try await values == .array([.bulk(Array("1".utf8)), .bulk(Array("2".utf8))]))
        #expect(patient.statistics.tryAgain >= 1)
    }

    @Test func concurrentFirstCommandsShareOneSlotMapRead() async throws {
        let client = makeClient()
        defer { client.close() }
        let key = prefix + "concurrent"
        let replies = try await withThrowingTaskGroup(of: RedisReply.self) { group in
            for _ in 0..<50 { group.addTask { try await client.send(.incr(key)) } }
            var replies: [RedisReply] = []
            for try await reply in group { replies.append(reply) }
            return replies
        }
        #expect(Set(replies) == Set((1...50).map { RedisReply.integer(Int64($0)) }))
        #expect(client.statistics.topologyReads == 1)
    }

    @Test func reshardedSlotsAreFollowedWithoutAMapReadPerRedirect() async throws {
        let client = makeClient()
        defer { client.close() }
        let (tag, firstSlot, source) = try await freshSlot("reshard")
        let target = try #require(try await cluster.nodes().first { $0.isMaster && $0.id != source.id })
        // Twenty empty slots of `source`, each with a fresh key; their MOVED come all at once.
        var keys: [String] = []
        var slots: Set<RedisClusterSlot> = [firstSlot]
        keys.append(tag + "k")
        for number in 0..<10_000 where keys.count < 20 {
            let key = "\(prefix)reshard:\(number)"
            let slot = RedisClusterSlot(key: key)
            guard source.serves(slot), !slots.contains(slot),
                try await cluster.keyCount(in: slot, onPort: source.port) == 0
            else { continue }
            slots.insert(slot)
            keys.append(key)
        }
        #expect(try await client.send(.ping) == .status("PONG"))
        for slot in slots.sorted() {
            try await cluster.beginMigration(of: slot, from: source, to: target)
            try await cluster.finishMigration(of: slot, from: source, to: target)
        }
        let began = ContinuousClock.now
        let replies = try await withThrowingTaskGroup(of: RedisReply.self) { group in
            for key in keys { group.addTask { try await client.send(.incr(key)) } }
            var replies: [RedisReply] = []
            for try await reply in group { replies.append(reply) }
            return replies
        }
        #expect(replies == Array(repeating: .integer(1), count: keys.count))
        // Each key's first send may get MOVED; the ones sent after the map was read again go straight to the new
        // owner (on a slow machine, such as under ThreadSanitizer, the tasks start one by one and many do).
        #expect((1...keys.count).contains(client.statistics.moved), "\(client.statistics.moved) MOVED")
        // The map is read again at most once per 100 ms, not once per MOVED (a few ms here, but CI may be slow).
        let intervals = Int((ContinuousClock.now - began) / .milliseconds(100))
        #expect(client.statistics.topologyReads <= 2 + intervals)
        #expect(client.statistics.topologyReads < 1 + keys.count)
        let map = try await client.refreshTopology()
        #expect(slots.allSatisfy { map.master(for: $0) == target.address })
    }

    /// On a cluster of its own: a slot without owner fails the whole cluster (`cluster-require-full-coverage`), which
    /// would refuse every other suite's commands on the shared one.
    @Test func clusterDownIsRetriedUntilTheSlotIsServedAgain() async throws {
        let own = try await RedisCluster.start(nodeTimeout: .seconds(5))
        defer { own.stop() }
        let key = prefix + "{down}k"
        let slot = RedisClusterSlot(key: key)
        let owner = try #require(try await own.master(of: slot))
        func client(_ backoff: RedisClusterConfiguration.Backoff) -> RedisClusterClient {
            var configuration = own.configuration()
            configuration.backoff = backoff
            return RedisClusterClient(configuration: configuration)
        }
        let patient = client(
            .init(maximumRetries: 200, initialDelay: .milliseconds(5), maximumDelay: .milliseconds(50)))
        let impatient = client(.init(maximumRetries: 2, initialDelay: .milliseconds(1), maximumDelay: .milliseconds(2)))
        defer {
            patient.close()
            impatient.close()
        }
        _ = try await patient.send(.ping)
        _ = try await impatient.send(.ping)
        // The owner forgets the slot: it answers CLUSTERDOWN (the cluster lacks a slot, so the owner's state fails).
        // Once out of retries that refusal is the reply, or, when the client read the map again meanwhile (it may:
        // 100 ms passed since the last read on a slow machine) and found the slot without master, the error.
        try await own.send(RedisCommand("CLUSTER", arguments: ["DELSLOTS", slot.number]), to: owner.port).checked()
        let code: RedisError.Code?
        do {
            code = try await impatient.send(.incr(key)).serverError?.code
        } catch {
            code = error.code
        }
        #expect(code == .clusterDown)
        #expect(impatient.statistics.clusterDown + impatient.statistics.unreachable == 3)
        let refused = try #require(
            await redisError { () async throws(RedisError) in try await impatient.transaction([.incr(key)]) })
        #expect(refused.code == .clusterDown)
        #expect(impatient.statistics.clusterDown + impatient.statistics.unreachable == 6)

        async let counted = patient.send(.incr(key))
        #expect(
            await TestEnvironment.waitUntil {
                patient.statistics.clusterDown + patient.statistics.unreachable >= 1
            })
        try await own.send(RedisCommand("CLUSTER", arguments: ["ADDSLOTS", slot.number]), to: owner.port).checked()
        #expect(try await counted == .integer(1))
        #expect(try await TestEnvironment.waitUntil { try await own.isHealthy() })
    }

    /// On a cluster of its own (the shared one keeps its masters): a master is SIGKILLed, its replica is promoted
    /// after `cluster-node-timeout`, and the client, refused by the dead node meanwhile, retries and follows.
    @Test func killedMasterIsFollowedToItsPromotedReplica() async throws {
        let own = try await RedisCluster.start()
        defer { own.stop() }
        var configuration = own.configuration()
        configuration.backoff = .init(
            maximumRetries: 100, initialDelay: .milliseconds(10), maximumDelay: .milliseconds(200))
        let client = RedisClusterClient(configuration: configuration)
        defer { client.close() }
        let key = prefix + "failover"
        let slot = RedisClusterSlot(key: key)
        #expect(try await client.send(.incr(key)) == .integer(1))
        // A connection to every master is open and idle when the master dies.
        _ = try await client.pipeline((0..<30).map { .exists(["\(prefix)warm:\($0)"]) })
        // The slot's master and its replica (polled: on a loaded machine a node-timeout of 1 s can fail a master
        // over before the test gets here, and the pair is then the other way round for a while).
        var pair: (master: RedisCluster.Node, replica: RedisCluster.Node)?
        let paired = try await TestEnvironment.waitUntil {
            let nodes = try await own.nodes()
            guard let master = nodes.first(where: { $0.isMaster && $0.serves(slot) }),
                let replica = nodes.first(where: { $0.masterID == master.id })
            else { return false }
            pair = (master, replica)
            return true
        }
        let seen = pair == nil ? try await own.nodes() : []
        let (master, replica) = try #require(pair, "no master with a replica for \(slot): \(seen)")
        #expect(paired)
        // The replica has the write before its master dies (READONLY lets it answer reads of its master's slots).
        let replicaPool = try client.pool(for: replica.address)
        #expect(
            try await TestEnvironment.waitUntil {
                try await replicaPool.pipeline([RedisCommand("READONLY"), .get(key)])[1] == .bulk(Array("1".utf8))
            })
        let victim = try #require(own.servers.first { $0.port == master.port })
        victim.kill()
        // Once it is gone, the idle pooled connection shows EOF and is replaced, and the new one is refused: nothing
        // is sent, so the command is retried. (A command in flight at the kill fails with an I/O error instead: it
        // may have run.)
        #expect(await TestEnvironment.waitUntil { !victim.isRunning })

        // The live masters answer their share of the pipeline at once; the dead one's share is retried until its
        // replica serves it.
        let spread = (0..<30).map { "\(prefix)failover:\($0)" }
        let replies = try await client.pipeline([.incr(key)] + spread.map { .incr($0) })
        #expect(replies == [.integer(2)] + Array(repeating: .integer(1), count: spread.count))
        #expect(spread.contains { master.serves(RedisClusterSlot(key: $0)) })
        #expect(client.statistics.unreachable >= 1)
        #expect(client.topology?.master(for: slot) == replica.address)
    }

    @Test func unreachableSeedIsSkipped() async throws {
        var configuration = cluster.configuration()
        // Port 1 refuses connections: the next seed gives the map.
        configuration.seeds.insert(RedisClusterAddress(host: "127.0.0.1", port: 1), at: 0)
        let client = RedisClusterClient(configuration: configuration)
        defer { client.close() }
        #expect(try await client.send(.incr(prefix + "seed")) == .integer(1))
        #expect(client.statistics.topologyReads == 1)
    }

    @Test func noReachableNodeIsAClearError() async throws {
        let client = RedisClusterClient(
            configuration: RedisClusterConfiguration(seeds: [.init(host: "127.0.0.1", port: 1)]))
        defer { client.close() }
        let error = try #require(await redisError { () async throws(RedisError) in try await client.send(.ping) })
        #expect(error.code == .connectionRefused)
        #expect(error.message.contains("no cluster node gave a slot map"))
        #expect(error.message.contains("127.0.0.1:1"))
    }
}
