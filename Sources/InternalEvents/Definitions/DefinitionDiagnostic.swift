/// One problem found in a definition file: `FILE:LINE: field: what was expected, what was found`.
public struct DefinitionDiagnostic: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable, Codable {
        case error, warning
    }

    public var severity: Severity
    /// The file, as given (relative to the working directory when it was given so).
    public var file: String
    /// 1-based line; 0 when the problem concerns the whole file.
    public var line: Int
    /// The field (dotted for nested ones, `events[2].unique`), or a short subject (`yaml`, `file`).
    public var field: String
    public var message: String

    public init(severity: Severity, file: String, line: Int, field: String, message: String) {
        self.severity = severity
        self.file = file
        self.line = line
        self.field = field
        self.message = message
    }

    /// `FILE:LINE: field: message`, with `warning: ` before the field for warnings.
    public var description: String {
        let location = line > 0 ? "\(file):\(line)" : file
        let kind = severity == .warning ? "warning: " : ""
        return "\(location): \(kind)\(field): \(message)"
    }
}

/// Where a definition was read from.
public struct SourceLocation: Sendable, Hashable, Codable, CustomStringConvertible {
    public var file: String
    public var line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    public var description: String { "\(file):\(line)" }
}
