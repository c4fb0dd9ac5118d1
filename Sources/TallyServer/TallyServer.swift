// TallyServer: GitLab's `/api/v4/usage_data/*` HTTP API over InternalEvents and ServicePing (DESIGN.md §7).
//
// Mount `UsageDataAPI` in an app's own Hummingbird router, or run it alone with `buildTallyServer` (what
// `tally serve` does). Callers work with the tracker and ping types too, so this module re-exports them.
@_exported import ServicePing
