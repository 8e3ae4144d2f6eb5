/* Shows a banner while the data store (PostGIS) is unreachable, and when newer data is
   available; hides it otherwise. Polls /healthz (served by dashboard/wsgi.py) from the first
   drawn map on (the first look waits for the map, not the other way round); stops when
   /healthz does not answer JSON (e.g. `quartiersatlas serve` in development). */
(function () {
  "use strict";
  var POLL_MS = 15000;
  var bannerId = "store-status-banner";
  var firstVersion = null;

  function banner() {
    var el = document.getElementById(bannerId);
    if (!el) {
      el = document.createElement("div");
      el.id = bannerId;
      el.setAttribute("role", "status");
      el.setAttribute("aria-live", "polite");
      el.className = "store-status-banner";
      el.style.cssText =
        "position:fixed;top:0;left:0;right:0;z-index:10000;padding:.5em 1em;" +
        "background:#7a1f00;color:#fff;font:14px sans-serif;display:none";
      document.body.appendChild(el);
    }
    return el;
  }

  function show(health) {
    var el = banner();
    var de = document.documentElement.lang !== "en";
    if (firstVersion === null && health.data_version) { firstVersion = health.data_version; }
    // the public /healthz only says `stale`; versions are shown to operators only
    var newer = health.stale || health.store_data_version && firstVersion &&
      health.store_data_version !== firstVersion;
    if (health.status === "degraded") {
      el.textContent = de
        ? "Datenbank nicht erreichbar – die angezeigten Daten sind der zuletzt geladene Stand (" +
          (health.loaded_at || "") + "). Es wird automatisch weiter versucht."
        : "Database unreachable – showing the data loaded at " + (health.loaded_at || "") +
          ". Retrying automatically.";
      el.style.display = "block";
    } else if (newer) {
      el.textContent = de
        ? "Neue Daten sind verfügbar: bitte die Seite neu laden (die Ansicht bleibt im Link erhalten)."
        : "New data is available: reload the page (the view is kept in the link).";
      el.style.display = "block";
    } else {
      el.style.display = "none";
    }
  }

  var FIRST_POLL_LATEST_MS = 5000;

  /* /healthz beside the app, also when it is served under a path prefix */
  function healthUrl() {
    var prefix = "/";
    try {
      var config = JSON.parse(document.getElementById("_dash-config").textContent);
      prefix = config.requests_pathname_prefix || "/";
    } catch (e) { /* no Dash config: the site root */ }
    return prefix.replace(/\/?$/, "/") + "healthz";
  }

  function poll() {
    if (!window.fetch) { return; }
    fetch(healthUrl(), { cache: "no-store" })
      .then(function (r) {
        var json = (r.headers.get("Content-Type") || "").indexOf("json") >= 0;
        return r.status === 404 || !json ? null : r.json();
      })
      .then(function (h) { if (h !== null) { show(h); setTimeout(poll, POLL_MS); } })
      .catch(function () { setTimeout(poll, POLL_MS); });
  }

  var started = false;
  function start() {
    if (started) { return; }
    started = true;
    window.removeEventListener("quartiersatlas:map-drawn", start);
    poll();
  }
  window.addEventListener("quartiersatlas:map-drawn", start);
  setTimeout(start, FIRST_POLL_LATEST_MS);
})();
