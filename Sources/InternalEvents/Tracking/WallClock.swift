import Foundation
import Hiredis

/// The source of "now" for tracking and pings. Injected, so tests and backfills pin time instead of sleeping.
public protocol WallClock: Sendable {
    /// The current time.
    func now() -> Date
}

/// The system's clock.
public struct SystemWallClock: WallClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock that says what it is told: for tests, `--at` and `TALLY_NOW`.
public final class FixedWallClock: WallClock {
    private let current: LockedValueBox<Date>

    public init(_ date: Date) {
        current = LockedValueBox(date)
    }

    public func now() -> Date { current.withLockedValue { $0 } }

    /// Moves the clock to `date`.
    public func set(_ date: Date) { current.withLockedValue { $0 = date } }

    /// Moves the clock forward by `seconds`.
    public func advance(by seconds: TimeInterval) { current.withLockedValue { $0 += seconds } }
}
