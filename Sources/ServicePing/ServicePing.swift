// ServicePing: the weekly Service Ping (DESIGN.md §5). It reads the counters that `InternalEvents` writes, plus
// database and system values, into GitLab's payload shape, then stores and submits it.
//
// Callers of this module work with InternalEvents' types too (definitions, time frames), so it re-exports them.
@_exported import InternalEvents
