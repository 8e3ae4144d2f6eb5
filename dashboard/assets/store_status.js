/* Shows a banner while the data store (PostGIS) is unreachable; hides it when it is back.
   Polls /healthz (served by dashboard/wsgi.py); does nothing when /healthz does not exist
   (e.g. `quartiersatlas serve` in development). */
(function () {
  "use strict";
  var POLL_MS = 15000;
  var bannerId = "store-status-banner";

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
    if (health && health.status === "degraded") {
      var de = document.documentElement.lang !== "en";
      el.textContent = de
        ? "Datenbank nicht erreichbar – die angezeigten Daten sind der zuletzt geladene Stand (" +
          (health.loaded_at || "") + "). Es wird automatisch weiter versucht."
        : "Database unreachable – showing the data loaded at " + (health.loaded_at || "") +
          ". Retrying automatically.";
      el.style.display = "block";
    } else if (health && health.stale) {
      el.textContent = document.documentElement.lang !== "en"
        ? "Neue Daten sind geladen; bitte die Seite neu laden, sobald der Server neu gestartet ist."
        : "New data has been loaded; reload the page once the server has restarted.";
      el.style.display = "block";
    } else {
      el.style.display = "none";
    }
  }

  function poll() {
    if (!window.fetch) { return; }
    fetch("/healthz", { cache: "no-store" })
      .then(function (r) {
        if (r.status === 404) { return null; }
        return r.json();
      })
      .then(function (h) { if (h !== null) { show(h); setTimeout(poll, POLL_MS); } })
      .catch(function () { setTimeout(poll, POLL_MS); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", poll);
  } else {
    poll();
  }
})();
