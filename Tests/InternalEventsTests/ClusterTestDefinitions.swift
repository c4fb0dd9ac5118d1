import TallyTestSupport

extension DefinitionFolder {
    /// The event `open_app` (identifier user), its total all-time and weekly, and its weekly unique users: what the
    /// cluster tests write while the cluster changes under them.
    static func opensWithTotalsAndUsers() throws -> DefinitionFolder {
        let folder = try DefinitionFolder()
        try folder.write("events/open.yml", event("open_app", identifiers: "[user]"))
        try folder.write(
            "metrics/total.yml", metric("counts.opens", timeFrame: "[7d, all]", events: "- name: open_app"))
        try folder.write(
            "metrics/users.yml", metric("counts.users", timeFrame: "7d", events: "- name: open_app\n  unique: user.id"))
        return folder
    }
}
