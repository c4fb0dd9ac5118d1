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
