import Synchronization

/// Counts hiredis reply objects received and freed, in debug builds, so tests can prove none leaks.
///
/// Release builds compile the counting away: `received()`/`freed()` are empty and `live` is always 0.
public enum ReplyAccounting {
    #if DEBUG
    private static let receivedCount = Atomic<Int>(0)
    private static let freedCount = Atomic<Int>(0)
    #endif

    /// Root replies handed out by hiredis so far (debug builds only).
    public static var totalReceived: Int {
        #if DEBUG
        receivedCount.load(ordering: .relaxed)
        #else
        0
        #endif
    }

    /// Root replies freed with `freeReplyObject` so far (debug builds only).
    public static var totalFreed: Int {
        #if DEBUG
        freedCount.load(ordering: .relaxed)
        #else
        0
        #endif
    }

    /// Whether counting is compiled in.
    public static var isEnabled: Bool {
        #if DEBUG
        true
        #else
        false
        #endif
    }

    @inline(__always)
    static func noteReceived() {
        #if DEBUG
        receivedCount.add(1, ordering: .relaxed)
        #endif
    }

    @inline(__always)
    static func noteFreed() {
        #if DEBUG
        freedCount.add(1, ordering: .relaxed)
        #endif
    }
}
