/// The cubes a `cube_analytics` query may name, and what each member means in the warehouse.
///
/// - `TrackedEvents` (also spelled `SnowplowTrackedEvents`, as GitLab's older visualizations do): the `events`
///   table. Measures `count`, `uniqueUsersCount` (distinct pseudonymized users, exact), `pageViewsCount`,
///   `eventValueSum`; dimensions `eventName` (a structured event's action, else the event type), `eventType`,
///   `eventCategory`, `eventAction`, `eventLabel`, `eventProperty`, `eventValue`, `appId`, `platform`, `pageUrl`,
///   `pageUrlpath`, `pageTitle`, `pageReferrer`, `userId`, `projectId`, `namespaceId`, `instanceId`, `hostName`,
///   `instanceVersion`, `environment`, `plan`, `source`; times `derivedTstamp`, `collectorTstamp`,
///   `dvceCreatedTstamp`.
/// - `InstanceMetrics` (Tally's own): numeric metrics of the latest ping of each instance in each ISO week.
///   Measures `value` (sum over instances), `averageValue`, `instances`; dimensions `metricsPath`, `instanceId`,
///   `hostName`, `version`, `edition`; time `recordedAt`.
struct CubeSchema: Sendable {
    enum Kind: Sendable {
        case measure
        case dimension
        case time
    }

    struct Member: Sendable {
        var kind: Kind
        /// SQL over the cube's source, per dialect (the same text where they agree).
        var sqlite: String
        var postgres: String
        var title: String
        /// Text compared as text, numbers as numbers (for filters' gt/lt).
        var isNumeric = false
        /// ClickHouse's SQL, where it differs from PostgreSQL's.
        var clickhouse: String? = nil

        func sql(_ dialect: WarehouseDialect) -> String {
            switch dialect {
            case .sqlite: sqlite
            case .postgres: postgres
            case .clickhouse: clickhouse ?? postgres
            }
        }
    }

    struct Cube: Sendable {
        var name: String
        /// `FROM` clause (with the aliases members use).
        var source: String
        /// The time the page's date range applies to when a query names none.
        var defaultTime: String
        /// Which user a row belongs to, for `excludeAnonymousUsers`.
        var user: String?
        var members: [String: Member]
    }

    static let user = "COALESCE(e.gsc_pseudonymized_user_id, e.user_id)"

    static let trackedEvents: Cube = {
        func column(_ name: String, _ title: String, numeric: Bool = false) -> Member {
            Member(kind: .dimension, sqlite: "e.\(name)", postgres: "e.\(name)", title: title, isNumeric: numeric)
        }
        func time(_ name: String, _ title: String) -> Member {
            Member(kind: .time, sqlite: "e.\(name)", postgres: "e.\(name)", title: title)
        }
        func measure(_ sql: String, _ title: String) -> Member {
            Member(kind: .measure, sqlite: sql, postgres: sql, title: title, isNumeric: true)
        }
        return Cube(
            name: "TrackedEvents", source: "events e", defaultTime: "derivedTstamp", user: user,
            members: [
                "count": measure("COUNT(*)", "Events"),
                "uniqueUsersCount": Member(
                    kind: .measure, sqlite: "COUNT(DISTINCT \(user))", postgres: "COUNT(DISTINCT \(user))",
                    title: "Unique users", isNumeric: true, clickhouse: "uniqExact(\(user))"),
                "pageViewsCount": measure("SUM(CASE WHEN e.event = 'page_view' THEN 1 ELSE 0 END)", "Page views"),
                "eventValueSum": measure("SUM(e.se_value)", "Sum of values"),
                "eventName": Member(
                    kind: .dimension, sqlite: "COALESCE(e.se_action, e.event)",
                    postgres: "COALESCE(e.se_action, e.event)", title: "Event"),
                "eventType": column("event", "Event type"), "eventCategory": column("se_category", "Category"),
                "eventAction": column("se_action", "Action"), "eventLabel": column("se_label", "Label"),
                "eventProperty": column("se_property", "Property"),
                "eventValue": column("se_value", "Value", numeric: true), "appId": column("app_id", "App id"),
                "platform": column("platform", "Platform"), "pageUrl": column("page_url", "Page URL"),
                "pageUrlpath": Member(
                    kind: .dimension, sqlite: "tally_url_path(e.page_url)",
                    postgres:
                        "split_part(split_part(regexp_replace(e.page_url, '^[A-Za-z][A-Za-z0-9+.-]*://[^/]*', ''), '?', 1), '#', 1)",
                    title: "Page path",
                    clickhouse:
                        "replaceRegexpOne(replaceRegexpOne(e.page_url, '^[A-Za-z][A-Za-z0-9+.-]*://[^/]*', ''), '[?#].*$', '')"
                ),
                "pageTitle": column("page_title", "Page title"), "pageReferrer": column("page_referrer", "Referrer"),
                "userId": Member(kind: .dimension, sqlite: user, postgres: user, title: "User"),
                "projectId": column("project_id", "Project", numeric: true),
                "namespaceId": column("namespace_id", "Namespace", numeric: true),
                "instanceId": column("gsc_instance_id", "Instance"), "hostName": column("gsc_host_name", "Host"),
                "instanceVersion": column("gsc_instance_version", "Version"),
                "environment": column("gsc_environment", "Environment"), "plan": column("gsc_plan", "Plan"),
                "source": column("gsc_source", "Source"),
                "derivedTstamp": time("derived_tstamp", "Time"),
                "collectorTstamp": time("collector_tstamp", "Collected"),
                "dvceCreatedTstamp": time("dvce_created_tstamp", "Created on the device"),
            ])
    }()

    static let instanceMetrics = Cube(
        name: "InstanceMetrics",
        source: "latest_pings_per_week w JOIN ping_metrics m ON m.ping_id = w.id", defaultTime: "recordedAt",
        user: nil,
        members: [
            "value": Member(
                kind: .measure, sqlite: "SUM(m.metric_value)", postgres: "SUM(m.metric_value)", title: "Value",
                isNumeric: true),
            "averageValue": Member(
                kind: .measure, sqlite: "AVG(m.metric_value)", postgres: "AVG(m.metric_value)", title: "Average",
                isNumeric: true),
            "instances": Member(
                kind: .measure, sqlite: "COUNT(DISTINCT w.uuid)", postgres: "COUNT(DISTINCT w.uuid)",
                title: "Instances", isNumeric: true, clickhouse: "uniqExact(w.uuid)"),
            "metricsPath": Member(
                kind: .dimension, sqlite: "m.metrics_path", postgres: "m.metrics_path", title: "Metric"),
            "instanceId": Member(kind: .dimension, sqlite: "w.uuid", postgres: "w.uuid", title: "Instance"),
            "hostName": Member(kind: .dimension, sqlite: "w.hostname", postgres: "w.hostname", title: "Host"),
            "version": Member(kind: .dimension, sqlite: "w.version", postgres: "w.version", title: "Version"),
            "edition": Member(kind: .dimension, sqlite: "w.edition", postgres: "w.edition", title: "Edition"),
            "recordedAt": Member(kind: .time, sqlite: "w.recorded_at", postgres: "w.recorded_at", title: "Recorded"),
        ])

    /// Cubes by the names queries use.
    static let cubes: [String: Cube] = [
        "TrackedEvents": trackedEvents, "SnowplowTrackedEvents": trackedEvents, "InstanceMetrics": instanceMetrics,
    ]

    /// `TrackedEvents.count` → its cube and member; nil for a name no cube has.
    static func resolve(_ name: String) -> (cube: Cube, member: Member, memberName: String)? {
        let parts = name.split(separator: ".", maxSplits: 1)
        guard parts.count == 2, let cube = cubes[String(parts[0])], let member = cube.members[String(parts[1])]
        else { return nil }
        return (cube, member, String(parts[1]))
    }

    /// The members of every cube, for messages.
    static func names(of kind: Kind) -> [String] {
        ["TrackedEvents", "InstanceMetrics"].flatMap { name in
            cubes[name]!.members.filter { $0.value.kind == kind }.keys.sorted().map { "\(name).\($0)" }
        }
    }
}
