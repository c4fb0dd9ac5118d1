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
/// Times are `DateTime('UTC')`, whole seconds: ClickHouse 18.16, the oldest server supported, has no
/// `DateTime64`, so milliseconds are not kept.
struct ClickHouseSchema {
    let configuration: ClickHouseConfiguration

    init(_ configuration: ClickHouseConfiguration) { self.configuration = configuration }

    static let time = "DateTime('UTC')"
    static let optionalTime = "Nullable(DateTime('UTC'))"

    /// Creates the database, if missing, then every table and view.
    func migrate(_ client: ClickHouseClient) async throws {
        try await client.execute("CREATE DATABASE IF NOT EXISTS \(configuration.database)", inDatabase: false)
        for statement in Self.statements { try await client.execute(statement) }
    }

    static let statements = [
        """
        CREATE TABLE IF NOT EXISTS events (
          event_id String, event String, app_id Nullable(String), platform String, name_tracker Nullable(String),
          v_tracker String, collector_tstamp \(time), dvce_created_tstamp \(optionalTime),
          dvce_sent_tstamp \(optionalTime), true_tstamp \(optionalTime), derived_tstamp \(time),
          se_category Nullable(String), se_action Nullable(String), se_label Nullable(String),
          se_property Nullable(String), se_value Nullable(Float64), user_id Nullable(String),
          domain_userid Nullable(String), domain_sessionid Nullable(String), domain_sessionidx Nullable(Int64),
          page_url Nullable(String), page_title Nullable(String), page_referrer Nullable(String),
          useragent Nullable(String), gsc_pseudonymized_user_id Nullable(String), project_id Nullable(Int64),
          namespace_id Nullable(Int64), gsc_environment Nullable(String), gsc_source Nullable(String),
          gsc_plan Nullable(String), gsc_instance_id Nullable(String), gsc_host_name Nullable(String),
          gsc_instance_version Nullable(String), gsc_extra Nullable(String), contexts String,
          unstruct_event Nullable(String))
        ENGINE = ReplacingMergeTree()
        PARTITION BY toYYYYMM(derived_tstamp)
        ORDER BY (ifNull(app_id, ''), toDate(derived_tstamp), ifNull(se_action, ''),
                  ifNull(gsc_pseudonymized_user_id, ''), event_id)
        """,
        "CREATE TABLE IF NOT EXISTS event_ids (event_id String) ENGINE = ReplacingMergeTree() ORDER BY event_id",
        "CREATE MATERIALIZED VIEW IF NOT EXISTS event_ids_of_events TO event_ids AS SELECT event_id FROM events",
        """
        CREATE TABLE IF NOT EXISTS bad_rows (
          id Int64, received_at \(time), path String, reason String, message String, raw_size Int64, raw String)
        ENGINE = MergeTree() PARTITION BY toYYYYMM(received_at) ORDER BY (received_at, id)
        """,
        "CREATE TABLE IF NOT EXISTS warehouse_settings (name String, value String) ENGINE = MergeTree() ORDER BY name",
        """
        CREATE TABLE IF NOT EXISTS pings (
          id Int64, uuid String, hostname Nullable(String), version Nullable(String), edition Nullable(String),
          recorded_at \(time), received_at \(time), payload String)
        ENGINE = ReplacingMergeTree() ORDER BY (uuid, recorded_at)
        """,
        """
        CREATE TABLE IF NOT EXISTS ping_metrics (
          ping_id Int64, instance_uuid String, hostname Nullable(String), metrics_path String, metric_value Float64,
          has_failed UInt8, recorded_at \(time))
        ENGINE = ReplacingMergeTree() PARTITION BY toYYYYMM(recorded_at) ORDER BY (metrics_path, recorded_at, ping_id)
        """,
        """
        CREATE TABLE IF NOT EXISTS ping_metadata (id Int64, uuid Nullable(String), received_at \(time), payload String)
        ENGINE = MergeTree() ORDER BY (received_at, id)
        """,
        """
        CREATE TABLE IF NOT EXISTS ping_errors (
          id Int64, uuid Nullable(String), hostname Nullable(String), version Nullable(String),
          message Nullable(String), elapsed Nullable(Float64), received_at \(time), payload String)
        ENGINE = MergeTree() ORDER BY (received_at, id)
        """,
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
