import Crypto
import Foundation
import InternalEvents

/// GitLab's pseudonymized user id for event records: Base64(SHA-256(decimal user id + the first 32 characters of the
/// instance secret)). The same user gets the same pseudonym on one instance; without the secret it can't be reversed.
///
/// The secret comes from configuration and is never logged (`description` hides it).
public struct Pseudonymizer: Sendable, CustomStringConvertible {
    private let salt: String

    /// - Throws: `TrackingError` `.invalidIdentifier` when the secret is empty.
    public init(secret: String) throws(TrackingError) {
        guard !secret.isEmpty else {
            throw TrackingError(
                code: .invalidIdentifier, event: "-", message: "the instance secret for pseudonymization is empty")
        }
        salt = String(secret.prefix(32))
    }

    /// The pseudonym of a user id.
    public func pseudonym(for user: UserID) -> String {
        Data(SHA256.hash(data: Data((String(user.rawValue) + salt).utf8))).base64EncodedString()
    }

    public var description: String { "Pseudonymizer(secret: ***)" }
}
