import Hiredis
import InternalEvents

/// The Redis reads of counter metrics: totals (sum of `GET`s), uniques (one `PFCOUNT` over every key), sums.
enum RedisCounterReads {
    /// `GET` each key; missing keys count 0.
    static func total(_ keys: [String]) -> RedisRead {
        RedisRead(commands: keys.map { .get($0) }) { replies in
            var total: Int64 = 0
            for reply in replies { total += try reply.checked().optionalIntegerString() ?? 0 }
            return .integer(total)
        }
    }

    /// The count of the union of the keys: one `PFCOUNT` when they share a cluster slot (GitLab's names always
    /// do); else each key's raw HyperLogLog (`GET`), merged register by register here and counted with Redis' own
    /// estimator, which gives exactly what `PFCOUNT` over them gives on one server, wherever the keys live.
    static func unique(_ keys: [String]) -> RedisRead {
        let slots = Set(keys.map { RedisClusterSlot(key: $0) })
        guard slots.count > 1 else {
            return RedisRead(commands: [.pfcount(keys)]) { replies in .integer(try replies[0].int()) }
        }
        return RedisRead(commands: keys.map { .get($0) }) { replies in
            var union = RedisHyperLogLog()
            for reply in replies { union.merge(try RedisHyperLogLog(reply: reply)) }
            return .integer(union.count())
        }
    }

    /// `GET` each key as a float; missing keys count 0.
    static func sum(_ keys: [String]) -> RedisRead {
        RedisRead(commands: keys.map { .get($0) }) { replies in
            var total = 0.0
            for reply in replies {
                guard let text = try reply.checked().optionalString() else { continue }
                guard let value = Double(text) else {
                    throw RedisError(code: .unexpectedReply, message: "expected a number, got \"\(text.prefix(40))\"")
                }
                total += value
            }
            return .double(total)
        }
    }

    /// `HGETALL` each key and add the counts up per value, as GitLab's `UniqueTotalsMetric`: the value is
    /// `{"<unique>": {"<value>": count, …}}`, values sorted.
    static func uniqueTotals(_ keys: [String], unique: String) -> RedisRead {
        RedisRead(commands: keys.map { .hgetall($0) }) { replies in
            var counts: [String: Int64] = [:]
            for reply in replies {
                let fields = try reply.checked().array()
                guard fields.count.isMultiple(of: 2) else {
                    throw RedisError(code: .unexpectedReply, message: "HGETALL answered an odd number of items")
                }
                for index in stride(from: 0, to: fields.count, by: 2) {
                    let value = try fields[index + 1].string()
                    guard let count = Int64(value) else {
                        throw RedisError(
                            code: .unexpectedReply, message: "expected an integer count, got \"\(value.prefix(40))\"")
                    }
                    counts[try fields[index].string(), default: 0] += count
                }
            }
            let totals = counts.keys.sorted().map { ($0, JSONValue.integer(counts[$0]!)) }
            return .object([(unique, .object(totals))])
        }
    }
}
