/// The warehouse's tables and views for event records (what trackers send to the Snowplow endpoints).
///
/// - `events`: one row per event, named like Snowplow's atomic events; `event_id` (the tracker's `eid`) is unique,
///   so a batch a sender retries is stored once.
/// - `bad_rows`: what couldn't be taken, with the reason and the bytes as sent.
/// - `warehouse_settings`: the warehouse's own values (the secret that pseudonymizes trackers' `uid`).
/// - `mart_behavior_structured_event`: the structured events under the names of GitLab's warehouse model
///   (`behavior_at`, `behavior_date`, `event_category`, `event_action`, `gsc_pseudonymized_user_id`, …).
enum EventSchema {
    /// The columns of `events` that the collector writes, in insert order.
    static let eventColumns = [
        "event_id", "event", "app_id", "platform", "name_tracker", "v_tracker", "collector_tstamp",
        "dvce_created_tstamp", "dvce_sent_tstamp", "true_tstamp", "derived_tstamp", "se_category", "se_action",
        "se_label", "se_property", "se_value", "user_id", "domain_userid", "domain_sessionid", "domain_sessionidx",
        "page_url", "page_title", "page_referrer", "useragent", "gsc_pseudonymized_user_id", "project_id",
        "namespace_id", "gsc_environment", "gsc_source", "gsc_plan", "gsc_instance_id", "gsc_host_name",
        "gsc_instance_version", "gsc_extra", "contexts", "unstruct_event",
    ]

    static let sqlite = [
        """
        CREATE TABLE IF NOT EXISTS events (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          event_id TEXT NOT NULL UNIQUE,
          event TEXT NOT NULL,
          app_id TEXT,
          platform TEXT NOT NULL,
          name_tracker TEXT,
          v_tracker TEXT NOT NULL,
          collector_tstamp TEXT NOT NULL,
          dvce_created_tstamp TEXT,
          dvce_sent_tstamp TEXT,
          true_tstamp TEXT,
          derived_tstamp TEXT NOT NULL,
          se_category TEXT,
          se_action TEXT,
          se_label TEXT,
          se_property TEXT,
          se_value REAL,
          user_id TEXT,
          domain_userid TEXT,
          domain_sessionid TEXT,
          domain_sessionidx INTEGER,
          page_url TEXT,
          page_title TEXT,
          page_referrer TEXT,
          useragent TEXT,
          gsc_pseudonymized_user_id TEXT,
          project_id INTEGER,
          namespace_id INTEGER,
          gsc_environment TEXT,
          gsc_source TEXT,
          gsc_plan TEXT,
          gsc_instance_id TEXT,
          gsc_host_name TEXT,
          gsc_instance_version TEXT,
          gsc_extra TEXT,
          contexts TEXT NOT NULL,
          unstruct_event TEXT)
        """,
        "CREATE INDEX IF NOT EXISTS events_by_action ON events (se_action, derived_tstamp)",
        "CREATE INDEX IF NOT EXISTS events_by_time ON events (derived_tstamp)",
        """
        CREATE TABLE IF NOT EXISTS bad_rows (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          received_at TEXT NOT NULL,
          path TEXT NOT NULL,
          reason TEXT NOT NULL,
          message TEXT NOT NULL,
          raw_size INTEGER NOT NULL,
          raw BLOB NOT NULL)
        """,
        "CREATE TABLE IF NOT EXISTS warehouse_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """
        CREATE VIEW IF NOT EXISTS mart_behavior_structured_event AS
        SELECT e.event_id AS behavior_structured_event_pk, e.derived_tstamp AS behavior_at,
               date(e.derived_tstamp) AS behavior_date, e.collector_tstamp, e.dvce_created_tstamp, e.app_id,
               e.platform, e.se_category AS event_category, e.se_action AS event_action, e.se_label AS event_label,
               e.se_property AS event_property, e.se_value AS event_value, e.user_id,
               e.gsc_pseudonymized_user_id, e.project_id AS dim_project_id, e.namespace_id AS dim_namespace_id,
               e.gsc_environment, e.gsc_source, e.gsc_plan, e.gsc_instance_id, e.gsc_host_name,
               e.gsc_instance_version, e.gsc_extra, e.contexts,
               e.contexts LIKE '%iglu:com.gitlab/gitlab_service_ping/%' AS has_gitlab_service_ping_context
        FROM events e WHERE e.event = 'struct'
        """,
    ]

    static let postgres = [
        """
        CREATE TABLE IF NOT EXISTS events (
          id BIGSERIAL PRIMARY KEY,
          event_id TEXT NOT NULL UNIQUE,
          event TEXT NOT NULL,
          app_id TEXT,
          platform TEXT NOT NULL,
          name_tracker TEXT,
          v_tracker TEXT NOT NULL,
          collector_tstamp TIMESTAMPTZ NOT NULL,
          dvce_created_tstamp TIMESTAMPTZ,
          dvce_sent_tstamp TIMESTAMPTZ,
          true_tstamp TIMESTAMPTZ,
          derived_tstamp TIMESTAMPTZ NOT NULL,
          se_category TEXT,
          se_action TEXT,
          se_label TEXT,
          se_property TEXT,
          se_value DOUBLE PRECISION,
          user_id TEXT,
          domain_userid TEXT,
          domain_sessionid TEXT,
          domain_sessionidx BIGINT,
          page_url TEXT,
          page_title TEXT,
          page_referrer TEXT,
          useragent TEXT,
          gsc_pseudonymized_user_id TEXT,
          project_id BIGINT,
          namespace_id BIGINT,
          gsc_environment TEXT,
          gsc_source TEXT,
          gsc_plan TEXT,
          gsc_instance_id TEXT,
          gsc_host_name TEXT,
          gsc_instance_version TEXT,
          gsc_extra TEXT,
          contexts TEXT NOT NULL,
          unstruct_event TEXT)
        """,
        "CREATE INDEX IF NOT EXISTS events_by_action ON events (se_action, derived_tstamp)",
        "CREATE INDEX IF NOT EXISTS events_by_time ON events (derived_tstamp)",
        """
        CREATE TABLE IF NOT EXISTS bad_rows (
          id BIGSERIAL PRIMARY KEY,
          received_at TIMESTAMPTZ NOT NULL,
          path TEXT NOT NULL,
          reason TEXT NOT NULL,
          message TEXT NOT NULL,
          raw_size BIGINT NOT NULL,
          raw BYTEA NOT NULL)
        """,
        "CREATE TABLE IF NOT EXISTS warehouse_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """
        CREATE OR REPLACE VIEW mart_behavior_structured_event AS
        SELECT e.event_id AS behavior_structured_event_pk, e.derived_tstamp AS behavior_at,
               (e.derived_tstamp AT TIME ZONE 'UTC')::date AS behavior_date, e.collector_tstamp,
               e.dvce_created_tstamp, e.app_id, e.platform, e.se_category AS event_category,
               e.se_action AS event_action, e.se_label AS event_label, e.se_property AS event_property,
               e.se_value AS event_value, e.user_id, e.gsc_pseudonymized_user_id, e.project_id AS dim_project_id,
               e.namespace_id AS dim_namespace_id, e.gsc_environment, e.gsc_source, e.gsc_plan, e.gsc_instance_id,
               e.gsc_host_name, e.gsc_instance_version, e.gsc_extra, e.contexts,
               e.contexts LIKE '%iglu:com.gitlab/gitlab_service_ping/%' AS has_gitlab_service_ping_context
        FROM events e WHERE e.event = 'struct'
        """,
    ]
}
