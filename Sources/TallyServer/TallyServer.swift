// TallyServer: GitLab's `/api/v4/usage_data/*` HTTP API over a `Tracker` (DESIGN.md §7).
//
// Mount `UsageDataAPI` in an app's own Hummingbird router, or run it alone with `buildTallyServer` (what
// `tally serve` does). It links Hummingbird and InternalEvents only: no SQL driver, no TLS. Where a stored
// Service Ping comes from is the host's choice (`StoredServicePing`); nothing is re-exported.
