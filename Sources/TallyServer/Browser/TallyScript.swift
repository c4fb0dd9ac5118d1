/// `tally.js`, the browser tracker that `UsageDataAPI` serves at `…/usage_data/tally.js`.
///
/// In a page of the app (same origin, so the app's session cookie and CSRF token go along):
///
/// ```html
/// <meta name="csrf-token" content="…">
/// <script src="/api/v4/usage_data/tally.js" data-collector="https://collect.example.com" defer></script>
/// <button data-event-tracking="click_save" data-event-label="toolbar">Save</button>
/// <script>tally.trackEvent("view_settings", {label: "sidebar", property: "ci", value: 2, plan: "free"})</script>
/// ```
///
/// - `tally.trackEvent(action, {label, property, value, …custom})` queues the event; clicks on elements with GitLab's
///   `data-event-tracking` (and `data-event-label`, `-property`, `-value`, `-additional` JSON) do the same.
/// - The queue goes to `track_events` in batches of up to 50 (GitLab's limit) a second after the first event, or at
///   once at 10; when the page is hidden it leaves with `navigator.sendBeacon`. At most 500 events wait; more are
///   dropped and counted in `tally.dropped`.
/// - With `data-collector`, each event is also sent as a Snowplow structured event (`tp2`, `e=se`) to that
///   collector, custom properties in a `gitlab_standard` context's `extra` — unless the browser says Do-Not-Track
///   or Global Privacy Control, in which case only the app's counters move.
/// - No cookies and no storage of its own; nothing throws into the page.
public enum TallyScript {
    public static let contentType = "application/javascript; charset=utf-8"

    public static let source = #"""
        /* tally.js: GitLab-style internal events from the browser. */
        (function (w, d) {
          "use strict";
          if (w.tally && w.tally.trackEvent) return;
          var s = d.currentScript || {}, ds = s.dataset || {};
          var base = ds.endpoint || (s.src ? new URL(".", s.src).pathname.replace(/\/$/, "") : "/api/v4/usage_data");
          var collector = ds.collector ? ds.collector.replace(/\/$/, "") : null;
          var appId = ds.appId || location.hostname, category = ds.category || "tally.js";
          var queue = [], records = [], timer = null, MAX = 500, BATCH = 50;
          var api = { dropped: 0, failed: 0, sent: 0, records: 0, version: "1.0.0" };

          function optedOut() {
            var n = w.navigator || {};
            return n.doNotTrack === "1" || n.doNotTrack === "yes" || w.doNotTrack === "1" || n.msDoNotTrack === "1" ||
              n.globalPrivacyControl === true;
          }
          function uuid() {
            if (w.crypto && crypto.randomUUID) return crypto.randomUUID();
            var b = new Uint8Array(16); crypto.getRandomValues(b); b[6] = b[6] & 15 | 64; b[8] = b[8] & 63 | 128;
            var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
            return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
          }
          function csrf() {
            var m = d.querySelector('meta[name="csrf-token"]');
            return m ? m.getAttribute("content") : null;
          }
          function push(list, item) {
            if (list.length >= MAX) { api.dropped++; return; }
            list.push(item);
          }
          function record(action, props) {
            var extra = {}, has = false, e = {
              e: "se", p: "web", tv: "tally-js-" + api.version, tna: "tally", aid: appId, eid: uuid(),
              dtm: String(Date.now()), se_ca: category, se_ac: action, url: location.href, page: d.title,
              lang: (w.navigator || {}).language || ""
            };
            if (d.referrer) e.refr = d.referrer;
            for (var k in props) {
              if (!Object.prototype.hasOwnProperty.call(props, k) || props[k] == null) continue;
              if (k === "label") e.se_la = String(props[k]);
              else if (k === "property") e.se_pr = String(props[k]);
              else if (k === "value") { if (isFinite(props[k])) e.se_va = String(Number(props[k])); }
              else { extra[k] = props[k]; has = true; }
            }
            e.co = JSON.stringify({
              schema: "iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0",
              data: [{ schema: "iglu:com.gitlab/gitlab_standard/jsonschema/1-1-7",
                       data: { source: "tally.js", environment: ds.environment || "production", extra: has ? extra : {} } }]
            });
            return e;
          }

          function trackEvent(action, props) {
            try {
              if (typeof action !== "string" || !action) return false;
              props = props && typeof props === "object" ? props : {};
              var additional = {};
              for (var k in props) {
                if (Object.prototype.hasOwnProperty.call(props, k) && props[k] != null) additional[k] = props[k];
              }
              var event = { event: action };
              if (ds.projectId) event.project_id = Number(ds.projectId);
              if (ds.namespaceId) event.namespace_id = Number(ds.namespaceId);
              if (Object.keys(additional).length) event.additional_properties = additional;
              push(queue, event);
              if (collector && !optedOut()) push(records, record(action, props));
              schedule();
              return true;
            } catch (error) {
              api.failed++;
              return false;
            }
          }

          function schedule() {
            if (queue.length + records.length >= 10) return flush();
            if (!timer) timer = setTimeout(flush, 1000);
          }

          function send(url, body, sameOrigin, beacon) {
            if (beacon && w.navigator && navigator.sendBeacon) {
              var type = sameOrigin ? "application/json" : "text/plain;charset=UTF-8";
              if (navigator.sendBeacon(url, new Blob([body], { type: type }))) return Promise.resolve(true);
            }
            var headers = { "Content-Type": sameOrigin ? "application/json" : "text/plain;charset=UTF-8" };
            var token = sameOrigin && csrf();
            if (token) headers["X-CSRF-Token"] = token;
            return fetch(url, {
              method: "POST", body: body, headers: headers, keepalive: body.length < 60000,
              credentials: sameOrigin ? "same-origin" : "omit", mode: sameOrigin ? "same-origin" : "cors"
            }).then(function (r) { return r.ok; }, function () { return false; });
          }

          function flush(beacon) {
            if (timer) { clearTimeout(timer); timer = null; }
            var done = [];
            while (queue.length) {
              var events = queue.splice(0, BATCH), body = { events: events }, token = csrf();
              if (beacon && token) body.authenticity_token = token;
              done.push(send(base + "/track_events", JSON.stringify(body), true, beacon).then(function (events) {
                return function (ok) { if (ok) api.sent += events.length; else api.failed += events.length; };
              }(events)));
            }
            while (records.length) {
              var batch = records.splice(0, BATCH), now = String(Date.now());
              batch.forEach(function (e) { e.stm = now; });
              var payload = JSON.stringify({ schema: "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4", data: batch });
              done.push(send(collector + "/com.snowplowanalytics.snowplow/tp2", payload, false, beacon).then(function (n) {
                return function (ok) { if (ok) api.records += n; else api.failed += n; };
              }(batch.length)));
            }
            return Promise.all(done).then(function () { return api.sent; });
          }

          d.addEventListener("click", function (event) {
            var el = event.target && event.target.closest ? event.target.closest("[data-event-tracking]") : null;
            if (!el) return;
            var props = {}, a = el.dataset;
            if (a.eventLabel) props.label = a.eventLabel;
            if (a.eventProperty) props.property = a.eventProperty;
            if (a.eventValue && isFinite(a.eventValue)) props.value = Number(a.eventValue);
            if (a.eventAdditional) {
              try { var more = JSON.parse(a.eventAdditional); for (var k in more) props[k] = more[k]; } catch (e) { api.failed++; }
            }
            trackEvent(a.eventTracking, props);
          }, true);
          d.addEventListener("visibilitychange", function () { if (d.visibilityState === "hidden") flush(true); });
          w.addEventListener("pagehide", function () { flush(true); });

          api.trackEvent = trackEvent;
          api.flush = function () { return flush(false); };
          api.optedOut = optedOut;
          w.tally = api;
        })(window, document);
        """#
}
