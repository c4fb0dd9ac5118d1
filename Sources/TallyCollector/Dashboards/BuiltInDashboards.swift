/// The dashboards that ship with Tally, written in the same GitLab format as users' own (and loaded by the same
/// rules, so they double as examples).
enum BuiltInDashboards {
    static let files: [(slug: String, yaml: String)] = [
        ("behavior", behavior), ("audience", audience), ("instances", instances),
    ]

    static let behavior = """
        version: '2'
        title: Behavior
        description: What trackers sent, day by day and by event.
        filters:
          dateRange:
            enabled: true
            defaultOption: 30d
            options: [7d, 30d, 60d, 90d, 180d, 365d, custom]
          excludeAnonymousUsers:
            enabled: true
        panels:
          - title: Events
            gridAttributes: {xPos: 0, yPos: 0, width: 4, height: 1}
            visualization:
              version: 1
              type: SingleStat
              data:
                type: cube_analytics
                query:
                  measures: [TrackedEvents.count]
              options: {}
          - title: Unique users
            gridAttributes: {xPos: 4, yPos: 0, width: 4, height: 1}
            visualization:
              version: 1
              type: SingleStat
              data:
                type: cube_analytics
                query:
                  measures: [TrackedEvents.uniqueUsersCount]
              options: {}
          - title: Page views
            gridAttributes: {xPos: 8, yPos: 0, width: 4, height: 1}
            visualization:
              version: 1
              type: SingleStat
              data:
                type: cube_analytics
                query:
                  measures: [TrackedEvents.pageViewsCount]
              options: {}
          - title: Events over time
            gridAttributes: {xPos: 0, yPos: 1, width: 12, height: 4}
            visualization:
              version: 1
              type: LineChart
              data:
                type: cube_analytics
                query:
                  measures: [TrackedEvents.count]
                  timeDimensions:
                    - dimension: TrackedEvents.derivedTstamp
                      granularity: day
                  limit: 1000
                  timezone: UTC
              options:
                xAxis: {name: Day, type: time}
                yAxis: {name: Events, type: value}
          - title: Most fired events
            gridAttributes: {xPos: 0, yPos: 5, width: 6, height: 4}
            visualization:
              version: 1
              type: ColumnChart
              data:
                type: cube_analytics
                query:
                  measures: [TrackedEvents.count]
                  dimensions: [TrackedEvents.eventName]
                  order: {TrackedEvents.count: desc}
                  limit: 10
              options: {}
          - title: Events by app
            gridAttributes: {xPos: 6, yPos: 5, width: 6, height: 4}
            visualization:
              version: 1
              type: DataTable
              data:
                type: cube_analytics
                query:
                  measures: [TrackedEvents.count, TrackedEvents.uniqueUsersCount]
                  dimensions: [TrackedEvents.appId]
                  limit: 50
              options: {}
        """

    static let audience = """
        version: '2'
        title: Audience
        description: Who sends events, and how often they come back.
        filters:
          dateRange:
            enabled: true
            defaultOption: 30d
        panels:
          - title: Daily active users
            gridAttributes: {xPos: 0, yPos: 0, width: 12, height: 4}
            visualization:
              version: 1
              type: LineChart
              data:
                type: cube_analytics
                query:
                  measures: [TrackedEvents.uniqueUsersCount]
                  timeDimensions:
                    - dimension: TrackedEvents.derivedTstamp
                      granularity: day
              options:
                xAxis: {name: Day, type: time}
                yAxis: {name: Users, type: value}
          - title: Weekly active users
            gridAttributes: {xPos: 0, yPos: 4, width: 6, height: 4}
            visualization:
              version: 1
              type: ColumnChart
              data:
                type: cube_analytics
                query:
                  measures: [TrackedEvents.uniqueUsersCount]
                  timeDimensions:
                    - dimension: TrackedEvents.derivedTstamp
                      granularity: week
              options: {}
          - title: Users by platform
            gridAttributes: {xPos: 6, yPos: 4, width: 6, height: 4}
            visualization:
              version: 1
              type: DataTable
              data:
                type: cube_analytics
                query:
                  measures: [TrackedEvents.uniqueUsersCount, TrackedEvents.count]
                  dimensions: [TrackedEvents.platform]
              options: {}
        """

    static let instances = """
        version: '2'
        title: Instances
        description: What the instances' weekly pings report.
        filters:
          dateRange:
            enabled: true
            defaultOption: 90d
            options: [30d, 90d, 180d, 365d, custom]
        panels:
          - title: Instances pinging, per week
            gridAttributes: {xPos: 0, yPos: 0, width: 6, height: 4}
            visualization:
              version: 1
              type: ColumnChart
              data:
                type: cube_analytics
                query:
                  measures: [InstanceMetrics.instances]
                  timeDimensions:
                    - dimension: InstanceMetrics.recordedAt
                      granularity: week
              options: {}
          - title: Instances by version
            gridAttributes: {xPos: 6, yPos: 0, width: 6, height: 4}
            visualization:
              version: 1
              type: DataTable
              data:
                type: sql
                query:
                  sql: >-
                    SELECT version, edition, COUNT(DISTINCT uuid) AS instances, MAX(recorded_at) AS last_ping
                    FROM pings WHERE recorded_at >= {{from}} AND recorded_at < {{to}}
                    GROUP BY version, edition ORDER BY instances DESC, version
              options: {}
        """
}
