import Foundation
import InternalEvents

/// How `tally` prints definition diagnostics: every error on its own line (each needs fixing), warnings grouped by
/// kind, one line per kind with its count and first files, unless `verbose` asks for every line.
struct DiagnosticReport {
    /// Files named per group of warnings before "…".
    static let examplesPerGroup = 3

    var diagnostics: [DefinitionDiagnostic]
    var verbose: Bool

    var errors: [DefinitionDiagnostic] { diagnostics.filter { $0.severity == .error } }
    var warnings: [DefinitionDiagnostic] { diagnostics.filter { $0.severity == .warning } }

    /// One group of alike warnings, in the order their first member appeared.
    struct Group {
        var kind: String
        var members: [DefinitionDiagnostic]
    }

    var warningGroups: [Group] {
        var groups: [Group] = []
        var index: [String: Int] = [:]
        for warning in warnings {
            let kind = Self.kind(of: warning)
            if let position = index[kind] {
                groups[position].members.append(warning)
            } else {
                index[kind] = groups.count
                groups.append(Group(kind: kind, members: [warning]))
            }
        }
        return groups
    }

    /// The lines to print, errors first.
    var lines: [String] {
        var lines = errors.map(\.description)
        if verbose || warnings.count <= Self.examplesPerGroup {
            return lines + warnings.map(\.description)
        }
        for group in warningGroups {
            if group.members.count == 1 {
                lines.append(group.members[0].description)
                continue
            }
            var files: [String] = []
            for member in group.members where !files.contains(member.file) { files.append(member.file) }
            let shown = files.prefix(Self.examplesPerGroup)
            let more = files.count > shown.count ? ", …" : ""
            lines.append("warning: \(group.members.count) × \(group.kind)")
            lines.append("  first: \(group.members[0].description)")
            lines.append(
                "  in \(files.count) file\(files.count == 1 ? "" : "s"): \(shown.joined(separator: ", "))\(more)")
        }
        if warningGroups.contains(where: { $0.members.count > 1 }) {
            lines.append("(alike warnings are grouped; --verbose prints each one)")
        }
        return lines
    }

    /// `N warnings (K kinds)`, or `no warnings`.
    var warningSummary: String {
        let count = warnings.count
        if count == 0 { return "0 warnings" }
        let kinds = warningGroups.count
        return "\(count) warning\(count == 1 ? "" : "s") (\(kinds) kind\(kinds == 1 ? "" : "s"))"
    }

    /// A warning's field and message with what varies between alike warnings masked: list indices, quoted names,
    /// file names.
    static func kind(of diagnostic: DefinitionDiagnostic) -> String {
        let field = diagnostic.field.replacingOccurrences(
            of: #"\[[0-9]+\]"#, with: "[]", options: .regularExpression)
        let message = diagnostic.message
            .replacingOccurrences(of: #""[^"]*""#, with: "\"…\"", options: .regularExpression)
            .replacingOccurrences(of: #"\([^() ]+\.ya?ml\)"#, with: "(….yml)", options: .regularExpression)
            .replacingOccurrences(of: #"lines [0-9, ]+;"#, with: "lines …;", options: .regularExpression)
        return "\(field): \(message)"
    }
}
