/// A problem in a dashboard or visualization file: the file, the line, the field's path and what is wrong.
public struct DashboardIssue: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    /// Dotted path of the field (`panels[2].gridAttributes.width`), or `file` for the file itself.
    public var field: String
    public var message: String

    public var description: String { "\(file):\(line): \(field): \(message)" }
}

/// Every problem found while loading dashboards (all of them, not just the first).
public struct DashboardLoadError: Error, Sendable, CustomStringConvertible {
    public var issues: [DashboardIssue]

    public var description: String { issues.map(\.description).joined(separator: "\n") }
}
