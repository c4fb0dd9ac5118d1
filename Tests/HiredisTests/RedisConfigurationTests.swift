import Hiredis
import Testing

@Suite("Redis URLs")
struct RedisConfigurationTests {
    @Test func tcpWithDefaults() throws {
        let configuration = try RedisConfiguration(url: "redis://localhost")
        #expect(configuration.endpoint == .tcp(host: "localhost", port: 6379))
        #expect(configuration.database == 0)
        #expect(configuration.password == nil)
        #expect(configuration.username == nil)
    }

    @Test func tcpWithEverything() throws {
        let configuration = try RedisConfiguration(url: "redis://alice:p%40ss@10.0.0.5:6380/3")
        #expect(configuration.endpoint == .tcp(host: "10.0.0.5", port: 6380))
        #expect(configuration.username == "alice")
        #expect(configuration.password == "p@ss")
        #expect(configuration.database == 3)
        #expect(configuration.redactedURL == "redis://alice:***@10.0.0.5:6380/3")
    }

    @Test func passwordOnly() throws {
        let configuration = try RedisConfiguration(url: "redis://:secret@127.0.0.1:7000")
        #expect(configuration.username == nil)
        #expect(configuration.password == "secret")
        #expect(!configuration.redactedURL.contains("secret"))
    }

    @Test func ipv6() throws {
        let configuration = try RedisConfiguration(url: "redis://[::1]:6390")
        #expect(configuration.endpoint == .tcp(host: "::1", port: 6390))
        #expect(configuration.redactedURL == "redis://[::1]:6390")
    }

    @Test func unixSocket() throws {
        let configuration = try RedisConfiguration(url: "unix:///var/run/redis/redis.sock?db=2&password=pw")
        #expect(configuration.endpoint == .unix(path: "/var/run/redis/redis.sock"))
        #expect(configuration.database == 2)
        #expect(configuration.password == "pw")
        #expect(configuration.redactedURL == "unix:///var/run/redis/redis.sock?db=2&password=***")
    }

    @Test(arguments: [
        ("http://localhost", "unknown scheme \"http\""),
        ("redis://localhost/abc", "database \"abc\" is not a non-negative integer"),
        ("redis://localhost:0", "port 0 is outside 1...65535"),
        ("unix://relative.sock", "absolute path"),
        ("unix:///tmp/r.sock?db=-1", "db \"-1\""),
        ("rediss://localhost", "TLS"),
        ("not a url", "not a URL"),
        ("redis://:hunter2@localhost/x", "database \"x\""),
    ])
    func rejectsBadURLs(url: String, expected: String) {
        do {
            _ = try RedisConfiguration(url: url)
            Issue.record("\(url) was accepted")
        } catch {
            #expect(error.code == .invalidConfiguration)
            #expect(error.message.contains(expected), "\(error.message)")
            #expect(!error.message.contains("hunter2"), "the password leaked into the error")
        }
    }
}
