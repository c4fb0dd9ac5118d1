/// Why an event was not tracked. Thrown only in strict mode; production mode logs and counts it.
public struct TrackingError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate let name: String
        /// No internal event of that name is defined.
        public static let unknownEvent = Code(name: "unknown event")
        /// An identifier the event does not declare, or an id that is not positive.
        public static let invalidIdentifier = Code(name: "invalid identifier")
        /// An additional property of the wrong type (`label`/`property` strings, `value` a number).
        public static let invalidProperty = Code(name: "invalid property")
        /// A custom additional property the event does not declare.
        public static let undeclaredProperty = Code(name: "undeclared property")
        /// A sink could not store the event (direct mode: Redis failed).
        public static let sinkFailed = Code(name: "sink failed")
        public var description: String { name }
    }

    public var code: Code
    public var event: String
    public var message: String
    /// The input at fault, as an HTTP caller names it (`event`, `project_id`, `additional_properties`), when known.
    public var field: String?

    public init(code: Code, event: String, message: String, field: String? = nil) {
        self.code = code
        self.event = event
        self.message = message
        self.field = field
    }

    public var description: String { "\(event): \(message)" }
}
