import InternalEvents

// ServicePing: the weekly Service Ping (DESIGN.md §5). It reads the counters that `InternalEvents` writes, plus
// database and system values, into GitLab's payload shape, then stores and submits it.
//
// The only Tally module that links the SQL drivers. Callers import `InternalEvents` too for the definitions and
// the tracker: nothing is re-exported.
