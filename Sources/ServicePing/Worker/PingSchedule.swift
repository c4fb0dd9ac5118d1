import Crypto
import Foundation
import InternalEvents

/// When an instance sends its weekly ping: GitLab's instance-specific time, derived from the instance UUID so that
/// installs spread over the week. minute = SHA256hex(uuid + "minute") mod 60, hour = SHA256hex(uuid + "hour") mod 24,
/// weekday = SHA256hex(uuid) mod 7 (0 = Sunday, as in cron), each digest read as one big integer; in UTC.
public struct PingSchedule: Sendable, Hashable, CustomStringConvertible {
    public let minute: Int
    public let hour: Int
    /// 0 = Sunday … 6 = Saturday.
    public let weekday: Int

    public init(uuid: String) {
        minute = Self.digestModulo(uuid + "minute", 60)
        hour = Self.digestModulo(uuid + "hour", 24)
        weekday = Self.digestModulo(uuid, 7)
    }

    /// The cron line GitLab would configure: `minute hour * * weekday`.
    public var description: String { "\(minute) \(hour) * * \(weekday)" }

    /// The first scheduled time strictly after `date`.
    public func nextRun(after date: Date) -> Date {
        let day = Int((date.timeIntervalSince1970 / 86_400).rounded(.down))
        // 1970-01-01 was a Thursday (cron weekday 4).
        let todayWeekday = ((day + 4) % 7 + 7) % 7
        let offset = Double(hour * 3_600 + minute * 60)
        for ahead in 0...7 {
            let candidateDay = day + ahead
            guard (todayWeekday + ahead) % 7 == weekday else { continue }
            let candidate = Date(timeIntervalSince1970: Double(candidateDay) * 86_400 + offset)
            if candidate > date { return candidate }
        }
        return Date(timeIntervalSince1970: Double(day + 7) * 86_400 + offset)
    }

    /// The last scheduled time at or before `date` (runs are exactly a week apart).
    public func previousRun(atOrBefore date: Date) -> Date {
        nextRun(after: date.addingTimeInterval(-7 * 86_400))
    }

    /// The SHA-256 hex digest of `text`, read as a 256-bit integer, modulo `modulus`.
    static func digestModulo(_ text: String, _ modulus: Int) -> Int {
        SHA256.hash(data: Data(text.utf8)).reduce(0) { ($0 * 256 + Int($1)) % modulus }
    }
}
