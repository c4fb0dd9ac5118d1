import InternalEvents

/// Who is calling the usage-data API, as the host app's authentication (or `tally serve`'s tokens) says.
public struct TallyCaller: Sendable, Hashable {
    /// The signed-in user the events are about, when the caller is a user session.
    public var user: UserID?
    /// Whether the caller may read the stored Service Ping (`GET service_ping`).
    public var isAdmin: Bool
    /// A trusted backend (a `tally serve` token) that names the user of each event with `user_id`.
    public var actsForUsers: Bool

    public init(user: UserID? = nil, isAdmin: Bool = false, actsForUsers: Bool = false) {
        self.user = user
        self.isAdmin = isAdmin
        self.actsForUsers = actsForUsers
    }
}
