/* Orientation on the Leaflet map (dashboard/map_context.py): area names, street context,
   and the city fitted to the map in council (present) mode.

   Names are placed greedily, largest area first (property `rank`): a name that would overlap
   one already shown is hidden, so a crowded view shows fewer names instead of a tangle.
   Below LABEL_MIN_ZOOM no names are drawn at all. */
(function () {
  "use strict";
  var LABEL_MIN_ZOOM = 10.5;
  var labels = [];  // Leaflet markers of the area names
  var placing = false;

  function place(map) {
    if (placing || !map) { return; }
    placing = true;
    window.requestAnimationFrame(function () {
      placing = false;
      var hideAll = map.getZoom() < LABEL_MIN_ZOOM;
      var taken = [];
      labels.filter(function (m) { return m._map === map; })
        .sort(function (a, b) { return a.feature.properties.rank - b.feature.properties.rank; })
        .forEach(function (m) {
          var el = m.getElement();
          if (!el) { return; }
          el.classList.remove("area-label-hidden");
          if (hideAll) { el.classList.add("area-label-hidden"); return; }
          var box = el.firstChild.getBoundingClientRect();
          var clash = taken.some(function (t) {
            return box.left < t.right + 2 && box.right > t.left - 2 &&
                   box.top < t.bottom + 1 && box.bottom > t.top - 1;
          });
          if (clash) { el.classList.add("area-label-hidden"); } else { taken.push(box); }
        });
    });
  }

  function watch(map) {
    if (map._quartiersatlasLabels) { return; }
    map._quartiersatlasLabels = true;
    map.on("zoomend moveend resize", function () { place(map); });
  }

  /* in council mode the city fills the map: refit when the window (or the map) changes size */
  function fitPresent() {
    var page = document.querySelector(".present");
    var api = window.quartiersatlasMap;
    var map = api && api.leafletMap();
    if (!page || !map) { return; }
    var bounds = null;
    map.eachLayer(function (l) {
      if (l.feature && l.feature.id !== undefined && l.getBounds && !l.feature.properties.level) {
        bounds = bounds ? bounds.extend(l.getBounds()) : L.latLngBounds(l.getBounds().getSouthWest(), l.getBounds().getNorthEast());
      }
    });
    if (!bounds) { return; }
    map.invalidateSize({pan: false});
    var snap = map.options.zoomSnap;
    map.options.zoomSnap = 0;  // fill the screen, not the nearest quarter zoom level
    map.fitBounds(bounds, {padding: [12, 12], animate: false});
    map.options.zoomSnap = snap;
  }

  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(fitPresent, 200);
  });
  // entering council mode changes the page class; fit once the layout has settled
  var lastPresent = false;
  setInterval(function () {
    var now = !!document.querySelector(".present");
    if (now && !lastPresent) { setTimeout(fitPresent, 350); }
    lastPresent = now;
  }, 250);

  var api = {
    LABEL_MIN_ZOOM: LABEL_MIN_ZOOM,
    fitPresent: fitPresent,

    labelPoint: function (feature, latlng) {
      var span = document.createElement("span");
      span.textContent = feature.properties.name;  // text, never HTML
      var marker = L.marker(latlng, {
        icon: L.divIcon({className: "area-label", html: span.outerHTML, iconSize: null}),
        interactive: false, keyboard: false
      });
      marker.feature = feature;
      marker.on("add", function () { labels.push(marker); watch(marker._map); place(marker._map); });
      marker.on("remove", function () {
        var i = labels.indexOf(marker);
        if (i >= 0) { labels.splice(i, 1); }
      });
      return marker;
    },

    labelFilter: function (feature, context) {
      var level = ((context && context.hideout) || {}).level || "district";
      return feature.properties.level === level;
    },

    streetStyle: function () {
      return {color: "#8c8c8c", weight: 0.9, opacity: 0.75, fill: false};
    },

    bindStreetTip: function (feature, layer) {
      if (feature.properties && feature.properties.name) {
        layer.bindTooltip(feature.properties.name, {sticky: true, className: "street-tip"});
      }
    },

    /* names shown now (for tests): [{name, level, shown}] */
    labelState: function () {
      return labels.filter(function (m) { return m._map; }).map(function (m) {
        var el = m.getElement();
        return {name: m.feature.properties.name, level: m.feature.properties.level,
                shown: !!el && !el.classList.contains("area-label-hidden")};
      });
    }
  };
  window.quartiersatlasContext = api;
})();
