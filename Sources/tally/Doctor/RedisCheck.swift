import Hiredis
import InternalEvents

/// The Redis part of `tally doctor`: URL, connection, version, role, memory policy, round-trip time.
struct RedisCheck {
    let options: RedisOptions

    func run(into report: inout DoctorReport) async {
        let subject = "redis"
        let configuration: RedisConfiguration
        do {
            switch try options.deployment() {
            case .server(let server):
                configuration = server
            case .cluster(let cluster):
                await RedisClusterCheck(options: options, configuration: cluster).run(into: &report)
                return
            case .sentinel(let sentinel):
                guard let master = await Self.findMaster(sentinel, source: options.resolvedURL.source, into: &report)
                else { return }
                configuration = master
            }
        } catch {
            report.fail(subject, "\(error)")
            return
        }
        let source = options.resolvedURL.source
        let pool = RedisConnectionPool(
            redis: configuration, configuration: .init(maximumConnections: 1, waitTimeout: .seconds(10)))
        defer { pool.close() }
        let clock = ContinuousClock()
        do {
            let start = clock.now
            let replies = try await pool.pipeline([
                .ping, .info("server"), .info("replication"), .info("memory"), .info("persistence"),
                RedisCommand("CONFIG", arguments: ["GET", "save"]),
            ])
            let roundTrip = clock.now - start
            let info = try replies[1...4].map { reply throws(RedisError) in try Self.fields(of: reply.string()) }
                .reduce(into: [String: String]()) { merged, section in merged.merge(section) { first, _ in first } }
            try replies[0].checked()
            let version = info["redis_version"] ?? "?"
            let mode = info["redis_mode"] ?? "standalone"
            report.ok(
                subject,
                "connected to \(configuration.redactedURL) (from \(source)): Redis \(version), \(mode), round trip \(Self.format(roundTrip))"
            )
            Self.check(version: version, into: &report)
            if info["role"] == "slave" || info["role"] == "replica" {
                report.fail(
                    subject,
                    "the server is a read-only replica (master \(info["master_host"] ?? "?")): Tally's writes will be refused; point TALLY_REDIS_URL at the primary"
                )
            }
            if mode == "cluster" {
                report.fail(
                    subject,
                    "the server is a Redis Cluster node: writes to slots it doesn't serve are refused with MOVED; give every node (or a few) as redis+cluster://host:port,host:port"
                )
            }
            let policy = info["maxmemory_policy"] ?? "noeviction"
            checkMemory(info, policy: policy, into: &report)
            if policy.hasPrefix("allkeys") {
                report.warn(
                    subject, "maxmemory-policy \(policy) may evict all-time counters; use noeviction or volatile-*")
            }
            // CONFIG may be disabled on managed servers; then the persistence check is skipped.
            let saveRule = (try? replies[5].array()).flatMap { $0.count == 2 ? try? $0[1].string() : nil }
            if info["aof_enabled"] == "0", let saveRule, saveRule.isEmpty {
                report.warn(subject, "no persistence configured: counters are lost when Redis restarts")
            }
        } catch {
            report.fail(subject, Self.explain(error, configuration: configuration, source: source))
        }
    }

    /// Asks the sentinels for the master and reports it; the master's settings, for the server checks, or `nil`
    /// (reported) when no sentinel named a usable master.
    private static func findMaster(
        _ sentinel: RedisSentinelConfiguration, source: String, into report: inout DoctorReport
    ) async -> RedisConfiguration? {
        var configuration = sentinel
        configuration.backoff = .init(maximumRetries: 0)
        let client = RedisSentinelClient(configuration: configuration)
        defer { client.close() }
        do {
            let address = try await client.findMaster()
            report.ok(
                "redis",
                "Sentinel at \(sentinel.redactedURL) (from \(source)) names \(address) master \"\(sentinel.masterName)\""
            )
            return sentinel.masterConfiguration(address)
        } catch {
            report.fail("redis", error.message)
            return nil
        }
    }

    /// A server at its `maxmemory` refuses writes with `-OOM` unless it may evict.
    private func checkMemory(_ info: [String: String], policy: String, into report: inout DoctorReport) {
        guard let limit = info["maxmemory"].flatMap({ Int64($0) }), limit > 0,
            let used = info["used_memory"].flatMap({ Int64($0) })
        else { return }
        let usage = "\(used / 1024) KiB of maxmemory \(limit / 1024) KiB, policy \(policy)"
        if used >= limit && (policy == "noeviction" || policy.hasPrefix("volatile")) {
            report.fail(
                "redis",
                "the server is out of memory (\(usage)): Tally's writes are refused with OOM; raise maxmemory or free memory"
            )
        } else if used * 10 >= limit * 9 {
            report.warn("redis", "the server is close to its memory limit (\(usage))")
        }
    }

    static func check(version: String, into report: inout DoctorReport) {
        let major = Int(version.split(separator: ".").first ?? "") ?? 0
        if major < 7 {
            report.fail(
                "redis",
                "Redis \(version) is too old; Tally needs Redis 7 or newer (it sets weekly TTLs with EXPIRE … NX)")
        }
    }

    /// A sentence that says what went wrong and what to do about it.
    static func explain(_ error: RedisError, configuration: RedisConfiguration, source: String) -> String {
        let target = "\(configuration.redactedURL) (from \(source))"
        switch error.code {
        case .connectionRefused:
            return "nothing accepts connections at \(target): is redis-server running? (\(error.message))"
        case .timeout:
            return "\(target) did not answer in time: a firewall, a wrong host, or a stopped server (\(error.message))"
        case .authenticationFailed:
            return "\(target) refused authentication: check the user and password in the URL (\(error.message))"
        default:
            return "\(target): \(error)"
        }
    }

    /// `key:value` lines of an `INFO` reply.
    static func fields(of info: String) -> [String: String] {
        var fields: [String: String] = [:]
        for line in info.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = String(line[line.index(after: colon)...])
        }
        return fields
    }

    static func format(_ duration: Duration) -> String {
        let microseconds = duration.inSeconds * 1e6
        return microseconds < 1000 ? "\(Int(microseconds)) µs" : "\(Int(microseconds / 1000)) ms"
    }
}
