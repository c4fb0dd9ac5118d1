import ArgumentParser
import InternalEvents

/// An event and its identifiers and properties, as `tally track` and `tally keys` take them.
struct EventArguments: ParsableArguments {
    @Argument(help: "The event name (its action).")
    var event: String

    @Option(help: "User id.")
    var user: Int64?

    @Option(help: "Project id.")
    var project: Int64?

    @Option(help: "Namespace id.")
    var namespace: Int64?

    @Option(
        name: .customLong("property"),
        help: "An additional property KEY=VALUE (repeatable); numbers become numbers except for label and property.")
    var properties: [String] = []

    /// The properties, typed: `label`/`property` stay strings, other numeric-looking values become numbers.
    func typedProperties() throws -> [String: PropertyValue] {
        var result: [String: PropertyValue] = [:]
        for text in properties {
            let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw ValidationError("--property: expected KEY=VALUE, found \"\(text)\"")
            }
            let (key, value) = (parts[0], parts[1])
            if key == "label" || key == "property" {
                result[key] = .string(value)
            } else if let integer = Int64(value) {
                result[key] = .integer(integer)
            } else if let double = Double(value), value.lowercased() != "nan", !value.lowercased().contains("inf") {
                result[key] = .double(double)
            } else {
                result[key] = .string(value)
            }
        }
        return result
    }
}
