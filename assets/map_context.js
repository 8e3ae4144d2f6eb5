/* Orientation on the Leaflet map (dashboard/map_context.py): area names, street context,
   and the city fitted to the map in council (present) mode and in the compare view.

   Names are placed greedily, largest area first (property `rank`): a name that would overlap
   one already shown is hidden, so a crowded view shows fewer names instead of a tangle.
   Below LABEL_MIN_ZOOM no names are drawn at all. */
(function () {
  "use strict";
  var LABEL_MIN_ZOOM = 10.5;
  var COMPARE_GRAPH = "compare-map-graph";  // dashboard.ids.COMPARE_MAP
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

  /* the bounds of the areas (and hexagons) on the Leaflet map */
  function cityBounds(map) {
    var bounds = null;
    map.eachLayer(function (l) {
      if (l.feature && l.feature.id !== undefined && l.getBounds && !l.feature.properties.level) {
        var b = l.getBounds();
        bounds = bounds ? bounds.extend(b) : L.latLngBounds(b.getSouthWest(), b.getNorthEast());
      }
    });
    return bounds;
  }

  /* the compare view's plotly map: centre and zoom so that the city fits its box */
  function fitCompare(bounds, tries) {
    var gd = document.querySelector("#" + COMPARE_GRAPH + " .js-plotly-plot");
    if (!gd || !gd.offsetWidth || !gd.layout || !window.Plotly) {
      // not drawn yet (the compare map renders after the view switch): try again shortly
      if ((tries || 0) < 20) { setTimeout(function () { fitCompare(bounds, (tries || 0) + 1); }, 300); }
      return;
    }
    var colourbar = 90, pad = 16;  // the colour bar's width, right of the map
    var w = Math.max(gd.offsetWidth - colourbar - 2 * pad, 50), h = Math.max(gd.offsetHeight - 2 * pad, 50);
    var west = bounds.getWest(), east = bounds.getEast(), south = bounds.getSouth(), north = bounds.getNorth();
    function mercY(lat) { var r = lat * Math.PI / 180; return Math.log(Math.tan(Math.PI / 4 + r / 2)); }
    var zx = Math.log2(w * 360 / (512 * (east - west)));
    var zy = Math.log2(h * 2 * Math.PI / (512 * (mercY(north) - mercY(south))));
    var midY = (mercY(north) + mercY(south)) / 2;
    var lat = (2 * Math.atan(Math.exp(midY)) - Math.PI / 2) * 180 / Math.PI;
    // plotly keeps the colour bar outside the map's domain: the map is centred in the rest
    gd._quartiersatlasFit = {zoom: Math.min(zx, zy), lat: lat, lon: (west + east) / 2};
    keepFit(gd);
    window.Plotly.relayout(gd, {"map.zoom": gd._quartiersatlasFit.zoom,
                               "map.center": {lat: lat, lon: gd._quartiersatlasFit.lon}});
    holdFit(gd);
  }

  /* The fit holds until the user moves the map. A new figure from the server (new values: a
     Plotly.react with the figure's own zoom) put MapLibre back to that zoom while the layout
     kept the fitted one, so the city stayed cut off and a second relayout changed nothing. */
  function holdFit(gd) {
    var fit = gd._quartiersatlasFit;
    var sub = gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
    var map = sub && sub.map;
    if (!fit || !map) { return; }
    if (!map._quartiersatlasWatched) {
      map._quartiersatlasWatched = true;
      // a user's drag, wheel or button ends the fit; moves by code keep it
      map.on("movestart", function (e) { if (e.originalEvent) { gd._quartiersatlasFit = null; } });
      map.on("moveend", function (e) { if (!e.originalEvent) { holdFit(gd); } });
    }
    var c = map.getCenter();
    if (Math.abs(map.getZoom() - fit.zoom) > 0.01 || Math.abs(c.lat - fit.lat) > 1e-5 ||
        Math.abs(c.lng - fit.lon) > 1e-5) {
      map.jumpTo({zoom: fit.zoom, center: [fit.lon, fit.lat]});
    }
  }

  function keepFit(gd) {
    if (gd._quartiersatlasKeepFit || !gd.on) { return; }
    gd._quartiersatlasKeepFit = true;
    gd.on("plotly_afterplot", function () { holdFit(gd); });
    // the modebar's zoom buttons move the map by code, as the fit does, so their click is what
    // says the user zooms (heard before plotly's own handler, which moves the map at once);
    // its home button keeps the fit
    gd.addEventListener("click", function (e) {
      var button = e.target.closest && e.target.closest(".modebar-btn");
      if (button && button.getAttribute("data-attr") === "zoom") { gd._quartiersatlasFit = null; }
    }, true);
  }

  /* council mode and the compare view: the whole city fills the map(s), on entering and on
     every resize (the page's layout changes the maps' size) */
  function fitCity(tries) {
    var present = !!document.querySelector(".present"), compare = !!document.querySelector(".view-compare");
    if (!(present || compare)) { return; }
    var api = window.quartiersatlasMap;
    var map = api && api.leafletMap();
    var bounds = map && cityBounds(map);
    if (!bounds) {
      // the map's areas are not drawn yet (page still loading): try again shortly
      if ((tries || 0) < 40) { setTimeout(function () { fitCity((tries || 0) + 1); }, 300); }
      return;
    }
    map.invalidateSize({pan: false});
    var snap = map.options.zoomSnap;
    map.options.zoomSnap = 0;  // fill the map, not the nearest quarter zoom level
    map.fitBounds(bounds, {padding: [12, 12], animate: false});
    map.options.zoomSnap = snap;
    if (compare) { fitCompare(bounds); }
  }

  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { fitCity(0); }, 200);
  });
  // entering council mode or the compare view changes the page class; fit once settled
  var lastMode = "";
  setInterval(function () {
    var mode = (document.querySelector(".present") ? "present " : "") +
               (document.querySelector(".view-compare") ? "compare" : "");
    if (mode && mode !== lastMode) {
      setTimeout(function () { fitCity(0); }, 350);
      setTimeout(function () { fitCity(40); }, 1500);  // once more when the layout has settled
    }
    lastMode = mode;
  }, 250);

  var api = {
    LABEL_MIN_ZOOM: LABEL_MIN_ZOOM,
    fitCity: fitCity,

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
