/// The warehouse's tables and views in ClickHouse: the same names and columns as in SQLite and PostgreSQL
/// (`WarehouseSchema`, `EventSchema`), in engines made for them. Every statement is idempotent.
///
/// - `events`: a `ReplacingMergeTree` partitioned by month and ordered for the dashboards' queries (app, day,
///   action, user), ending in `event_id`, so a copy of an event stored twice is merged into one.
/// - `event_ids`: every stored `event_id`, ordered by it, filled by a materialized view in the same insert as
///   `events`: the collector looks a batch's ids up here and stores only the new ones, so a retried batch counts
///   once at once, not only after a merge.
/// - `pings`, `ping_metrics`: `ReplacingMergeTree`s keyed by instance and time (and metric path): a ping's id is
///   derived from its instance and `recorded_at`, so storing one twice leaves one. Views read them `FINAL`.
/// - `ping_metadata`, `ping_errors`, `bad_rows`: `MergeTree`s in arrival order.
/// - `warehouse_settings`: the pseudonymization secret; the smallest value of a name wins, so two collectors that
///   race to make it agree on one.
///
/// **Sharded** (`?cluster=NAME`): each table is `NAME_local` on every shard, in the engine above, and `NAME` is a
/// `Distributed` table over them, spread by a key that keeps what must meet on one shard: an event and its id by
/// `event_id` (so a retried event lands where its first copy is, and `events`' engine merges them), a ping and its
/// metrics by instance. The materialized view fills each shard's `event_ids_local` from its `events_local`; the
/// views read the `Distributed` tables. Statements run on every shard (18.16 runs `ON CLUSTER` only with ZooKeeper).
///
/// Times are `DateTime('UTC')`, whole seconds: ClickHouse 18.16, the oldest server supported, has no
/// `DateTime64`, so milliseconds are not kept.
struct ClickHouseSchema {
    let configuration: ClickHouseConfiguration

    init(_ configuration: ClickHouseConfiguration) { self.configuration = configuration }

    static let time = "DateTime('UTC')"
    static let optionalTime = "Nullable(DateTime('UTC'))"

    /// Creates the database, if missing, then every table and view, on every server of the configuration.
    func migrate(_ client: ClickHouseClient) async throws {
        for node in configuration.nodes.indices {
            try await client.execute(
                "CREATE DATABASE IF NOT EXISTS \(configuration.database)", inDatabase: false, node: node)
            for statement in statements { try await client.execute(statement, node: node) }
        }
    }

    /// The statements that make the schema: on one server, or on each shard of a cluster.
    var statements: [String] {
        var statements: [String] = []
        for table in Self.tables {
            guard let cluster = configuration.cluster else {
                statements.append("CREATE TABLE IF NOT EXISTS \(table.name) \(table.definition)")
                continue
            }
            statements.append("CREATE TABLE IF NOT EXISTS \(table.name)_local \(table.definition)")
            statements.append(
                "CREATE TABLE IF NOT EXISTS \(table.name) AS \(table.name)_local ENGINE = Distributed(\(cluster), "
                    + "\(configuration.database), \(table.name)_local, \(table.shardingKey))")
        }
        let local = configuration.cluster == nil ? "" : "_local"
        statements.append(
            "CREATE MATERIALIZED VIEW IF NOT EXISTS event_ids_of_events TO event_ids\(local) AS "
                + "SELECT event_id FROM events\(local)")
        return statements + Self.views
    }

    /// A table: its name, columns and engine, and (sharded) what spreads its rows over the shards.
    struct Table {
        var name: String
        var definition: String
        var shardingKey: String
    }

    static let tables = [
        Table(
            name: "events",
            definition: """
                (event_id String, event String, app_id Nullable(String), platform String,
                 name_tracker Nullable(String), v_tracker String, collector_tstamp \(time),
                 dvce_created_tstamp \(optionalTime), dvce_sent_tstamp \(optionalTime), true_tstamp \(optionalTime),
                 derived_tstamp \(time), se_category Nullable(String), se_action Nullable(String),
                 se_label Nullable(String), se_property Nullable(String), se_value Nullable(Float64),
                 user_id Nullable(String), domain_userid Nullable(String), domain_sessionid Nullable(String),
                 domain_sessionidx Nullable(Int64), page_url Nullable(String), page_title Nullable(String),
                 page_referrer Nullable(String), useragent Nullable(String),
                 gsc_pseudonymized_user_id Nullable(String), project_id Nullable(Int64), namespace_id Nullable(Int64),
                 gsc_environment Nullable(String), gsc_source Nullable(String), gsc_plan Nullable(String),
                 gsc_instance_id Nullable(String), gsc_host_name Nullable(String),
                 gsc_instance_version Nullable(String), gsc_extra Nullable(String), contexts String,
                 unstruct_event Nullable(String))
                ENGINE = ReplacingMergeTree()
                PARTITION BY toYYYYMM(derived_tstamp)
                ORDER BY (ifNull(app_id, ''), toDate(derived_tstamp), ifNull(se_action, ''),
                          ifNull(gsc_pseudonymized_user_id, ''), event_id)
                """,
            shardingKey: "cityHash64(event_id)"),
        Table(
            name: "event_ids", definition: "(event_id String) ENGINE = ReplacingMergeTree() ORDER BY event_id",
            shardingKey: "cityHash64(event_id)"),
        Table(
            name: "bad_rows",
            definition: """
                (id Int64, received_at \(time), path String, reason String, message String, raw_size Int64,
                 raw String)
                ENGINE = MergeTree() PARTITION BY toYYYYMM(received_at) ORDER BY (received_at, id)
                """,
            shardingKey: "rand()"),
        Table(
            name: "warehouse_settings", definition: "(name String, value String) ENGINE = MergeTree() ORDER BY name",
            shardingKey: "cityHash64(name)"),
        Table(
            name: "pings",
            definition: """
                (id Int64, uuid String, hostname Nullable(String), version Nullable(String),
                 edition Nullable(String), recorded_at \(time), received_at \(time), payload String)
                ENGINE = ReplacingMergeTree() ORDER BY (uuid, recorded_at)
                """,
            shardingKey: "cityHash64(uuid)"),
        Table(
            name: "ping_metrics",
            definition: """
                (ping_id Int64, instance_uuid String, hostname Nullable(String), metrics_path String,
                 metric_value Float64, has_failed UInt8, recorded_at \(time))
                ENGINE = ReplacingMergeTree() PARTITION BY toYYYYMM(recorded_at)
                ORDER BY (metrics_path, recorded_at, ping_id)
                """,
            shardingKey: "cityHash64(instance_uuid)"),
        Table(
            name: "ping_metadata",
            definition: """
                (id Int64, uuid Nullable(String), received_at \(time), payload String)
                ENGINE = MergeTree() ORDER BY (received_at, id)
                """,
            shardingKey: "rand()"),
        Table(
            name: "ping_errors",
            definition: """
                (id Int64, uuid Nullable(String), hostname Nullable(String), version Nullable(String),
                 message Nullable(String), elapsed Nullable(Float64), received_at \(time), payload String)
                ENGINE = MergeTree() ORDER BY (received_at, id)
                """,
            shardingKey: "rand()"),
    ]

    /// The views, over the tables by their plain names (the `Distributed` ones when sharded).
    static let views = [
        """
        CREATE VIEW IF NOT EXISTS fct_ping_instance_metric AS
        SELECT ping_id AS dim_ping_instance_id, instance_uuid AS dim_instance_id, hostname AS host_name,
               metrics_path, metric_value, has_failed, recorded_at AS ping_created_at
        FROM ping_metrics FINAL
        """,
        """
        CREATE VIEW IF NOT EXISTS fct_ping_instance_metric_rolling_6_months AS
        SELECT * FROM fct_ping_instance_metric WHERE ping_created_at >= now() - INTERVAL 6 MONTH
        """,
        """
        CREATE VIEW IF NOT EXISTS latest_pings_per_week AS
        SELECT *, toMonday(recorded_at) AS ping_week FROM pings FINAL
        ORDER BY uuid, ping_week, recorded_at DESC, id DESC
        LIMIT 1 BY uuid, ping_week
        """,
        """
        CREATE VIEW IF NOT EXISTS mart_behavior_structured_event AS
        SELECT event_id AS behavior_structured_event_pk, derived_tstamp AS behavior_at,
               toDate(derived_tstamp) AS behavior_date, collector_tstamp, dvce_created_tstamp, app_id, platform,
               se_category AS event_category, se_action AS event_action, se_label AS event_label,
               se_property AS event_property, se_value AS event_value, user_id, gsc_pseudonymized_user_id,
               project_id AS dim_project_id, namespace_id AS dim_namespace_id, gsc_environment, gsc_source, gsc_plan,
               gsc_instance_id, gsc_host_name, gsc_instance_version, gsc_extra, contexts,
               contexts LIKE '%iglu:com.gitlab/gitlab_service_ping/%' AS has_gitlab_service_ping_context
        FROM events WHERE event = 'struct'
        """,
    ]
}
