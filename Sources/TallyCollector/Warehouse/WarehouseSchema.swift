import ServicePing

/// The warehouse's tables and views, for SQLite and PostgreSQL. Every statement is idempotent, so migrating an
/// existing warehouse changes nothing.
///
/// - `pings`: one row per received Service Ping (the raw payload, its instance and time); `(uuid, recorded_at)` is
///   unique, so a sender that retries a ping stores it once.
/// - `ping_metrics`: the ping flattened, one row per numeric metric (dotted `metrics_path`, `metric_value`,
///   `has_failed` for GitLab's fallbacks -1, -2 and -3), as GitLab's warehouse flattens each ping.
/// - `ping_metadata`, `ping_errors`: what senders post to `/usage_ping_metadata` and `/usage_ping_errors`.
/// - `fct_ping_instance_metric`: `ping_metrics` under GitLab's warehouse names (`dim_ping_instance_id`,
///   `dim_instance_id`, `host_name`, `ping_created_at`, …).
/// - `latest_pings_per_week`: the newest ping of each instance in each week (Monday to Sunday, UTC), so an instance
///   that resubmits a week counts once.
/// - `fct_ping_instance_metric_rolling_6_months`: `fct_ping_instance_metric` of the last six months.
///
/// Event records (`EventSchema`) have tables and views of their own.
enum WarehouseSchema {
    static func statements(for dialect: WarehouseDialect) -> [String] {
        switch dialect {
        case .sqlite: sqlite + EventSchema.sqlite
        case .postgres: postgres + EventSchema.postgres
        // ClickHouse's depend on its sharding: `ClickHouseSchema` makes them.
        case .clickhouse: []
        }
    }

    static let sqlite = [
        """
        CREATE TABLE IF NOT EXISTS pings (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          uuid TEXT NOT NULL,
          hostname TEXT,
          version TEXT,
          edition TEXT,
          recorded_at TEXT NOT NULL,
          received_at TEXT NOT NULL,
          payload TEXT NOT NULL,
          UNIQUE (uuid, recorded_at))
        """,
        """
        CREATE TABLE IF NOT EXISTS ping_metrics (
          ping_id INTEGER NOT NULL REFERENCES pings (id),
          instance_uuid TEXT NOT NULL,
          hostname TEXT,
          metrics_path TEXT NOT NULL,
          metric_value REAL NOT NULL,
          has_failed INTEGER NOT NULL,
          recorded_at TEXT NOT NULL,
          PRIMARY KEY (ping_id, metrics_path))
        """,
        "CREATE INDEX IF NOT EXISTS ping_metrics_by_path ON ping_metrics (metrics_path, recorded_at)",
        """
        CREATE TABLE IF NOT EXISTS ping_metadata (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          uuid TEXT,
          received_at TEXT NOT NULL,
          payload TEXT NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS ping_errors (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          uuid TEXT,
          hostname TEXT,
          version TEXT,
          message TEXT,
          elapsed REAL,
          received_at TEXT NOT NULL,
          payload TEXT NOT NULL)
        """,
        """
        CREATE VIEW IF NOT EXISTS fct_ping_instance_metric AS
        SELECT m.ping_id AS dim_ping_instance_id, m.instance_uuid AS dim_instance_id, m.hostname AS host_name,
               m.metrics_path, m.metric_value, m.has_failed, m.recorded_at AS ping_created_at
        FROM ping_metrics m
        """,
        """
        CREATE VIEW IF NOT EXISTS fct_ping_instance_metric_rolling_6_months AS
        SELECT * FROM fct_ping_instance_metric
        WHERE ping_created_at >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-6 months')
        """,
        """
        CREATE VIEW IF NOT EXISTS latest_pings_per_week AS
        SELECT p.*, date(p.recorded_at, 'weekday 0', '-6 days') AS ping_week
        FROM pings p
        WHERE p.id = (
          SELECT q.id FROM pings q
          WHERE q.uuid = p.uuid
            AND date(q.recorded_at, 'weekday 0', '-6 days') = date(p.recorded_at, 'weekday 0', '-6 days')
          ORDER BY q.recorded_at DESC, q.id DESC LIMIT 1)
        """,
    ]

    static let postgres = [
        """
        CREATE TABLE IF NOT EXISTS pings (
          id BIGSERIAL PRIMARY KEY,
          uuid TEXT NOT NULL,
          hostname TEXT,
          version TEXT,
          edition TEXT,
          recorded_at TIMESTAMPTZ NOT NULL,
          received_at TIMESTAMPTZ NOT NULL,
          payload TEXT NOT NULL,
          UNIQUE (uuid, recorded_at))
        """,
        """
        CREATE TABLE IF NOT EXISTS ping_metrics (
          ping_id BIGINT NOT NULL REFERENCES pings (id),
          instance_uuid TEXT NOT NULL,
          hostname TEXT,
          metrics_path TEXT NOT NULL,
          metric_value DOUBLE PRECISION NOT NULL,
          has_failed BOOLEAN NOT NULL,
          recorded_at TIMESTAMPTZ NOT NULL,
          PRIMARY KEY (ping_id, metrics_path))
        """,
        "CREATE INDEX IF NOT EXISTS ping_metrics_by_path ON ping_metrics (metrics_path, recorded_at)",
        """
        CREATE TABLE IF NOT EXISTS ping_metadata (
          id BIGSERIAL PRIMARY KEY,
          uuid TEXT,
          received_at TIMESTAMPTZ NOT NULL,
          payload TEXT NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS ping_errors (
          id BIGSERIAL PRIMARY KEY,
          uuid TEXT,
          hostname TEXT,
          version TEXT,
          message TEXT,
          elapsed DOUBLE PRECISION,
          received_at TIMESTAMPTZ NOT NULL,
          payload TEXT NOT NULL)
        """,
        """
        CREATE OR REPLACE VIEW fct_ping_instance_metric AS
        SELECT m.ping_id AS dim_ping_instance_id, m.instance_uuid AS dim_instance_id, m.hostname AS host_name,
               m.metrics_path, m.metric_value, m.has_failed, m.recorded_at AS ping_created_at
        FROM ping_metrics m
        """,
        """
        CREATE OR REPLACE VIEW fct_ping_instance_metric_rolling_6_months AS
        SELECT * FROM fct_ping_instance_metric WHERE ping_created_at >= now() - interval '6 months'
        """,
        """
        CREATE OR REPLACE VIEW latest_pings_per_week AS
        SELECT DISTINCT ON (uuid, date_trunc('week', recorded_at AT TIME ZONE 'UTC'))
               p.*, date_trunc('week', recorded_at AT TIME ZONE 'UTC')::date AS ping_week
        FROM pings p
        ORDER BY uuid, date_trunc('week', recorded_at AT TIME ZONE 'UTC'), recorded_at DESC, id DESC
        """,
    ]
}
