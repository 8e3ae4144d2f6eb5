/* Load dash-leaflet's GeoJSON code before the layout renders.

   The GeoJSON layer is a React.lazy component inside a Suspense boundary: rendered before its
   code chunk has loaded, it shows the fallback, and React 18 then holds back the revealed
   content until at least 500 ms after the last fallback it committed (its "fallback throttle").
   The map's areas waited for that: the first map was painted half a second after the layout
   had rendered, on any machine. Starting the lazy import here, while the layout is still being
   fetched (the chunk is preloaded from the page head, dashboard.app.preload_links), lets the
   layout render the layers at once. Any other shape of the library leaves everything as it was. */
(function () {
  "use strict";
  try {
    var GeoJSON = window.dash_leaflet && window.dash_leaflet.GeoJSON;
    if (typeof GeoJSON !== "function" || GeoJSON.prototype && GeoJSON.prototype.render) { return; }
    var element = GeoJSON({});  // a plain function component: <Suspense><Lazy .../></Suspense>
    var inner = element && element.props && element.props.children;
    var lazy = inner && inner.type;
    if (!lazy || lazy.$$typeof !== Symbol.for("react.lazy") || typeof lazy._init !== "function") {
      return;
    }
    try {
      lazy._init(lazy._payload);  // starts the import; throws its promise while it is pending
    } catch (pending) {
      if (pending && typeof pending.then === "function") { pending.then(null, function () {}); }
    }
  } catch (e) {
    // never break the page for an optimisation
  }
})();
