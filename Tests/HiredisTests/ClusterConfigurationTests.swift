import Hiredis
import Testing

@Suite("Redis Cluster URLs")
struct ClusterConfigurationTests {
    @Test func seedsWithAndWithoutPorts() throws {
        let configuration = try RedisClusterConfiguration(url: "redis+cluster://h1:7000,h2,10.0.0.3:7002")
        #expect(
            configuration.seeds == [
                RedisClusterAddress(host: "h1", port: 7000), RedisClusterAddress(host: "h2", port: 6379),
                RedisClusterAddress(host: "10.0.0.3", port: 7002),
            ])
        #expect(configuration.username == nil)
        #expect(configuration.password == nil)
        #expect(configuration.redactedURL == "redis+cluster://h1:7000,h2:6379,10.0.0.3:7002")
    }

    @Test func credentialsApplyToEveryNode() throws {
        let configuration = try RedisClusterConfiguration(url: "REDIS+CLUSTER://alice:p%40ss%2C@h1:1,h2:2/")
        #expect(configuration.username == "alice")
        #expect(configuration.password == "p@ss,")
        #expect(configuration.redactedURL == "redis+cluster://alice:***@h1:1,h2:2")
        let node = configuration.nodeConfiguration(configuration.seeds[1])
        #expect(node.endpoint == .tcp(host: "h2", port: 2))
        #expect(node.username == "alice")
        #expect(node.password == "p@ss,")
        #expect(node.database == 0)
    }

    @Test func passwordOnlyAndIPv6() throws {
        let configuration = try RedisClusterConfiguration(url: "redis+cluster://:secret@[::1]:7000,[fe80::2]/0")
        #expect(configuration.username == nil)
        #expect(configuration.password == "secret")
        #expect(configuration.seeds == [.init(host: "::1", port: 7000), .init(host: "fe80::2", port: 6379)])
        #expect(configuration.redactedURL == "redis+cluster://:***@[::1]:7000,[fe80::2]:6379")
    }

    @Test(arguments: [
        ("redis://h1:1", "unknown scheme \"redis\""),
        ("h1:1,h2:2", "not a URL"),
        ("redis+cluster://", "node 1 has no host"),
        ("redis+cluster://h1:1,,h2:2", "node 2 has no host"),
        ("redis+cluster://h1:1,h2:", "node 2: port \"\" is not a number in 1...65535"),
        ("redis+cluster://h1:70000", "node 1: port \"70000\""),
        ("redis+cluster://h1:abc", "port \"abc\""),
        ("redis+cluster://[::1:7000", "lacks \"]\""),
        ("redis+cluster://[::1]x:7000", "text after \"]\""),
        ("redis+cluster://h1:1/2", "database \"2\": a Redis Cluster has database 0 only"),
        ("redis+cluster://:hunter2@h1:1/3", "database \"3\""),
        ("redis+cluster://:hunter2@h1:1?db=1", "takes no query"),
        ("redis+cluster://:hunter2@h1:x", "port \"x\""),
    ])
    func rejectsBadURLs(url: String, expected: String) {
        do {
            _ = try RedisClusterConfiguration(url: url)
            Issue.record("\(url) was accepted")
        } catch {
            #expect(error.code == .invalidConfiguration)
            #expect(error.message.contains(expected), "\(error.message)")
            #expect(!error.message.contains("hunter2"), "the password leaked into the error")
        }
    }

    @Test func aSingleServerConfigurationPointsAtTheClusterType() {
        do {
            _ = try RedisConfiguration(url: "redis+cluster://:hunter2@h1:1,h2:2")
            Issue.record("a cluster URL was read as one server")
        } catch {
            #expect(error.code == .invalidConfiguration)
            #expect(error.message.contains("RedisClusterConfiguration(url:)"))
            #expect(!error.message.contains("hunter2"))
        }
    }

    @Test func clientFromURL() throws {
        let client = try RedisClusterClient(url: "redis+cluster://127.0.0.1:1")
        #expect(client.configuration.seeds == [.init(host: "127.0.0.1", port: 1)])
        #expect(client.topology == nil)
        #expect(client.statistics == RedisClusterClient.Statistics())
    }
}
