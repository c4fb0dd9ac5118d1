import Hiredis
import Testing

@Suite("Redis deployments from one URL")
struct RedisDeploymentTests {
    @Test func serverURLsGiveOneServer() throws {
        #expect(
            try RedisDeployment(url: "redis://:secret@db.example:6380/2")
                == .server(RedisConfiguration(url: "redis://:secret@db.example:6380/2")))
        #expect(
            try RedisDeployment(url: "unix:///run/redis.sock?db=1")
                == .server(RedisConfiguration(endpoint: .unix(path: "/run/redis.sock"), database: 1)))
        #expect(try RedisDeployment(url: "redis://:secret@h:1").redactedURL == "redis://:***@h:1")
    }

    @Test func clusterURLsGiveACluster() throws {
        let deployment = try RedisDeployment(url: "redis+cluster://u:pw@h1:7000,h2:7001")
        guard case .cluster(let configuration) = deployment else {
            Issue.record("\(deployment) is not a cluster")
            return
        }
        #expect(configuration.seeds.map(\.port) == [7000, 7001])
        #expect(configuration.password == "pw")
        #expect(deployment.redactedURL == "redis+cluster://u:***@h1:7000,h2:7001")
    }

    @Test func theClientMatchesTheDeployment() throws {
        let server = try RedisDeployment(url: "redis://127.0.0.1:1").makeClient(pool: .init(maximumConnections: 3))
        defer { server.close() }
        #expect(server is RedisConnectionPool)
        #expect(!server.isCluster)
        #expect(server.maximumConcurrentCalls == 3)
        let cluster = try RedisDeployment(url: "redis+cluster://127.0.0.1:1").makeClient(
            pool: .init(maximumConnections: 2))
        defer { cluster.close() }
        #expect(cluster is RedisClusterClient)
        #expect(cluster.isCluster)
        #expect(cluster.maximumConcurrentCalls == 2)
    }

    @Test(arguments: [
        ("http://h", "unknown scheme \"http\""), ("redis+cluster://h1:0", "node 1: port \"0\""),
        ("redis+cluster://:pw@h1/3", "database \"3\""), ("rediss://h", "TLS"),
    ])
    func badURLsSayWhatIsWrong(url: String, expected: String) {
        #expect {
            try RedisDeployment(url: url)
        } throws: { error in
            guard let error = error as? RedisError else { return false }
            return error.code == .invalidConfiguration && error.message.contains(expected)
                && !error.message.contains("pw")
        }
    }
}

@Suite("Redis Sentinel URLs")
struct SentinelConfigurationTests {
    @Test func sentinelsMasterNameAndDatabase() throws {
        let configuration = try RedisSentinelConfiguration(
            url: "redis+sentinel://:pw@s1,s2:5000,[::1]/my%20master/2?sentinel_password=s%40cret")
        #expect(configuration.sentinels.map(\.port) == [26379, 5000, 26379])
        #expect(configuration.sentinels.map(\.host) == ["s1", "s2", "::1"])
        #expect(configuration.masterName == "my master")
        #expect(configuration.database == 2)
        #expect(configuration.password == "pw")
        #expect(configuration.sentinelPassword == "s@cret")
        #expect(
            configuration.redactedURL
                == "redis+sentinel://:***@s1:26379,s2:5000,[::1]:26379/my%20master/2?sentinel_password=***")
        let master = configuration.masterConfiguration(RedisClusterAddress(host: "10.0.0.9", port: 6380))
        #expect(master.endpoint == .tcp(host: "10.0.0.9", port: 6380))
        #expect(master.database == 2 && master.password == "pw")
        #expect(configuration.sentinelConfiguration(configuration.sentinels[0]).password == "s@cret")
        guard case .sentinel = try RedisDeployment(url: "redis+sentinel://s1/m") else {
            Issue.record("not a sentinel deployment")
            return
        }
    }

    @Test(arguments: [
        ("redis+sentinel://s1", "no master name"), ("redis+sentinel://s1/", "no master name"),
        ("redis+sentinel://s1/m/x", "database \"x\""), ("redis+sentinel://s1:0/m", "port \"0\""),
        ("redis+sentinel://s1/m?sentinel_password=pw&x=1", "unknown query parameter \"x\""),
    ])
    func badURLsSayWhatIsWrong(url: String, expected: String) {
        #expect {
            try RedisDeployment(url: url)
        } throws: { error in
            guard let error = error as? RedisError else { return false }
            return error.code == .invalidConfiguration && error.message.contains(expected)
                && !error.message.contains("=pw")
        }
    }
}
