import InternalEvents

/// What `tally doctor` found: one line per finding, grouped by subject.
struct DoctorReport {
    enum Level: String {
        case ok = "ok"
        case warning = "warning"
        case error = "error"
    }

    struct Finding {
        var subject: String
        var level: Level
        var text: String
    }

    private(set) var findings: [Finding] = []

    mutating func ok(_ subject: String, _ text: String) {
        findings.append(Finding(subject: subject, level: .ok, text: text))
    }
    mutating func warn(_ subject: String, _ text: String) {
        findings.append(Finding(subject: subject, level: .warning, text: text))
    }
    mutating func fail(_ subject: String, _ text: String) {
        findings.append(Finding(subject: subject, level: .error, text: text))
    }

    var hasErrors: Bool { findings.contains { $0.level == .error } }

    /// `[ok]      redis: connected …` lines, then a summary line.
    var rendered: String {
        var text = ""
        for finding in findings {
            let tag = "[\(finding.level.rawValue)]".padding(toLength: 10, withPad: " ", startingAt: 0)
            text += "\(tag)\(finding.subject): \(finding.text)\n"
        }
        let errors = findings.filter { $0.level == .error }.count
        let warnings = findings.filter { $0.level == .warning }.count
        text +=
            errors == 0
            ? "doctor: all checks passed (\(warnings) warning\(warnings == 1 ? "" : "s"))\n"
            : "doctor: \(errors) problem\(errors == 1 ? "" : "s") found, \(warnings) warning\(warnings == 1 ? "" : "s")\n"
        return text
    }
}
