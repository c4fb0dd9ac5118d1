// TallyServer: GitLab's `/api/v4/usage_data/*` HTTP API over InternalEvents and ServicePing (DESIGN.md §7).
//
// Callers mount it next to their own routes and work with the tracker and ping types, so it re-exports them.
@_exported import ServicePing
