import CHiredis

/// A counter that any thread may add to without a lock: a relaxed atomic add, for statistics that order nothing
/// else (events accepted, rejected).
///
/// Tally's lowest layer owns it, like `LockedValueBox`, so the app-side library needs neither SwiftNIO nor the
/// `Synchronization` module: importing `Synchronization` made every clean debug build of an app rebuild that module
/// from its interface (SwiftPM indexes system modules while building), about a second on the build's critical path.
/// The atomic operations are C11 builtins in CHiredis' shim, on a C `long` (Swift's `Int` on the 64-bit platforms
/// Tally supports).
///
/// **Thread safety:** `add` and `value` may be called from any thread at once; `value` may miss adds that are in
/// flight on other threads. Never blocks.
public final class AtomicCounter: @unchecked Sendable {
    // `@unchecked Sendable` is safe: `storage` is read and written only through the atomic builtins.
    /// Owned: allocated and initialized here, freed once in `deinit`. A heap address, so it never moves.
    private let storage: UnsafeMutablePointer<Int>

    public init(_ initialValue: Int = 0) {
        storage = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        storage.initialize(to: initialValue)
    }

    deinit {
        storage.deinitialize(count: 1)
        storage.deallocate()
    }

    /// Adds `amount` (1 by default).
    public func add(_ amount: Int = 1) {
        _ = tally_atomic_fetch_add_relaxed(storage, amount)
    }

    /// The current value.
    public var value: Int {
        tally_atomic_load_relaxed(storage)
    }
}
