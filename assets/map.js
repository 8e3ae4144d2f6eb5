/* Functions of the Leaflet map, named in dashboard/leaflet_map.py.

   Areas and gap hexagons are created once per geometry; a change of values restyles the
   existing Leaflet layers (`restyle`, fed by the view callback's style store, see
   `watchStyleStore`) instead of re-creating them, so a change costs one canvas redraw.
   dash-leaflet calls the other functions with the GeoJSON component's props as the last
   argument (`context`).
   Tooltip texts arrive escaped from the server. */
(function () {
  "use strict";
  var layers = {};   // component id -> feature id -> Leaflet layer
  var current = {};  // component id -> latest values {kind, fill, selected, opacity, parts}
  var sent = {};     // component id -> the parts sent so far {ids, kind, fill, tip, cols, ...}
  var pending = false;
  var FIELD = /%\{customdata\[(\d+)\]\}/g;  // leaflet_map.TIP_FIELD

  /* The parts a layer was sent (aligned lists, a tooltip template and its columns, see
     dashboard/leaflet_map.py area_hideout) as values by feature id: {kind, fill: {id: fill},
     selected, opacity, parts}. Tooltips are filled only when one opens (`tipOf`): thousands
     of hexagons would otherwise have every tooltip rebuilt with each step. */
  function expand(w) {
    var v = {kind: w.kind, selected: w.selected, opacity: w.opacity, fill: {}, parts: w, index: null};
    var ids = w.ids || [], fill = w.fill || [];
    ids.forEach(function (fid, i) {
      if (fill[i] !== null && fill[i] !== undefined) { v.fill[fid] = fill[i]; }
    });
    return v;
  }

  /* The tooltip of feature `fid`: the template filled in one pass with the feature's entries
     of the columns, as leaflet_map.fill_template does; every entry arrives escaped. A feature
     without an entry in the first column has no tooltip (""). */
  function tipOf(v, fid) {
    var w = v && v.parts;
    if (!w || !w.tip) { return ""; }
    if (!v.index) {
      v.index = {};
      (w.ids || []).forEach(function (id, i) { v.index[id] = i; });
    }
    var i = v.index[fid], cols = w.cols || {}, first = cols["0"];
    if (i === undefined || !first || first[i] === null || first[i] === undefined) { return ""; }
    return w.tip.replace(FIELD, function (field, k) {
      var col = cols[k];
      return col && col[i] !== null && col[i] !== undefined ? col[i] : field;
    });
  }

  function allTips(cid) {
    var v = current[cid], out = {};
    ((v && v.parts.ids) || []).forEach(function (fid) {
      var tip = tipOf(v, fid);
      if (tip) { out[fid] = tip; }
    });
    return out;
  }

  /* a list part as sent: the whole list, or {changes: {position: entry}} to the one before */
  function patched(before, value) {
    if (!value || Array.isArray(value) || !value.changes) { return value; }
    var out = (before || []).slice();
    Object.keys(value.changes).forEach(function (i) { out[+i] = value.changes[i]; });
    return out;
  }

  /* the features' look as it is, compared key by key with the look they should have */
  function sameLook(options, look) {
    return Object.keys(look).every(function (k) { return options[k] === look[k]; });
  }

  /* Once Leaflet has painted the next frame, count it and tell listeners (the dashboard
     benchmark measures input -> map drawn with it). */
  function drawn(what) {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () {
      setTimeout(function () {
        pending = false;
        api.drawnCount += 1;
        api.drawnAt = window.performance.now();
        window.dispatchEvent(new CustomEvent("quartiersatlas:map-drawn", {detail: {what: what}}));
      }, 0);
    });
  }

  function areaLook(id, v) {
    var colour = (v.fill || {})[id];
    var selected = v.selected !== null && v.selected !== undefined && v.selected === id;
    return {
      fill: true, stroke: true, interactive: true,
      fillColor: colour || "#d9d9d9",
      fillOpacity: colour ? (v.opacity === undefined ? 0.78 : v.opacity) : 0.3,
      color: selected ? "#e69f00" : "#ffffff",
      weight: selected ? 3.5 : 0.8,
      opacity: 1
    };
  }

  function gapLook(id, v) {
    var fill = (v.fill || {})[id];
    return fill
      ? {fill: true, stroke: false, interactive: true, fillColor: fill[0], fillOpacity: fill[1]}
      : {fill: false, stroke: false, interactive: false};
  }

  var LOOKS = {areas: areaLook, gaps: gapLook};

  function look(componentId, featureId, fallback) {
    var v = current[componentId] || fallback || {};
    return (LOOKS[v.kind] || areaLook)(featureId, v);
  }

  function tooltip(layer, html, options) {
    if (html) { layer.bindTooltip(html, Object.assign({sticky: true, opacity: 0.95}, options || {})); }
  }

  function hideout(context) { return (context && context.hideout) || {}; }

  /* Facilities and markers: SVG in their own pane (dashboard/leaflet_map.py PANES), so they
     draw above the areas whatever was re-created last, and only their own shapes take the
     pointer (a canvas there would swallow every hover and click of the areas below). */
  var renderers = {};
  function inPane(pane) {
    renderers[pane] = renderers[pane] || L.svg({pane: pane});
    return {pane: pane, renderer: renderers[pane]};
  }

  /* Areas and hexagons share the overlay canvas, which draws in creation order: hexagons go
     back on top whenever areas are re-created (another level, a page opened from a link). */
  var raiseQueued = false;
  function keepGapsAbove() {
    if (raiseQueued) { return; }
    raiseQueued = true;
    setTimeout(function () {
      raiseQueued = false;
      var gaps = layers["map-gaps"] || {};
      Object.keys(gaps).forEach(function (fid) { if (gaps[fid]._map) { gaps[fid].bringToFront(); } });
    }, 0);
  }

  var api = {
    drawnCount: 0,
    drawnAt: null,

    /* what the map draws now (for tests and support): areas and hexagons with their fill
       colour (null: not drawn), tooltips, and the point features with position and tooltip */
    snapshot: function () {
      function drawnFills(cid) {
        var out = {}, byId = layers[cid] || {};
        Object.keys(byId).forEach(function (fid) {
          var o = byId[fid].options, valued = ((current[cid] || {}).fill || {})[fid];
          out[fid] = o.fill && valued ? o.fillColor : null;  // null: no value drawn
        });
        return out;
      }
      var points = {facilities: [], markers: [], reach: []}, tiles = 0, map = api.leafletMap();
      if (map) {
        map.eachLayer(function (l) {
          if (l instanceof L.TileLayer) { tiles += 1; }
          if (l.quartiersatlasReach) { points.reach.push(l.getRadius()); }
          if (!l.feature || !l.getLatLng) { return; }
          var p = l.feature.properties || {}, at = l.getLatLng(), tip = l.getTooltip();
          if (!p.kind && p.category === undefined) { return; }  // area names are no points
          (p.kind ? points.markers : points.facilities).push({
            kind: p.kind || null, id: p.id === undefined ? null : p.id,
            category: p.category || null, lat: at.lat, lon: at.lng,
            tip: tip ? tip.getContent() : null
          });
        });
      }
      return {
        areas: drawnFills("map-areas"), gaps: drawnFills("map-gaps"),
        tips: {areas: allTips("map-areas"), gaps: allTips("map-gaps")},
        selected: (current["map-areas"] || {}).selected || null,
        facilities: points.facilities, markers: points.markers, reach: points.reach, tiles: tiles
      };
    },

    /* the Leaflet map (through any registered layer), or null before the first features */
    leafletMap: function () {
      var cids = Object.keys(layers);
      for (var i = 0; i < cids.length; i++) {
        var fids = Object.keys(layers[cids[i]]);
        if (fids.length && layers[cids[i]][fids[0]]._map) { return layers[cids[i]][fids[0]]._map; }
      }
      return null;
    },

    /* style of a newly created area or hexagon: the latest values sent (or the hideout) */
    valueStyle: function (feature, context) {
      drawn("create");
      return look(context.id, feature.id, hideout(context));
    },

    /* remember the layer for restyling; its tooltip reads the latest text when it opens */
    register: function (feature, layer, context) {
      var cid = context.id, fid = feature.id;
      var byId = layers[cid] = layers[cid] || {};
      byId[fid] = layer;
      layer.on("remove", function () { if (byId[fid] === layer) { delete byId[fid]; } });
      if (cid === "map-areas") { keepGapsAbove(); }
      layer.options.interactive = look(cid, fid, hideout(context)).interactive;
      layer.bindTooltip(function () { return tipOf(current[cid], fid); }, {sticky: true, opacity: 0.95});
    },

    /* merge the changed parts of each layer ({component id: parts},
       dashboard/callbacks/view.py map_outputs) into what was sent before and restyle only the
       features whose look changed, so the canvas redraws no more than it must */
    restyle: function (style) {
      if (!style) { return; }
      var painted = false;  // no layer yet: the values are drawn when the layers are made
      Object.keys(style).forEach(function (cid) {
        var parts = style[cid], w = sent[cid] = sent[cid] || {cols: {}};
        Object.keys(parts).forEach(function (key) {
          if (key === "cols") {
            Object.keys(parts.cols).forEach(function (k) { w.cols[k] = patched(w.cols[k], parts.cols[k]); });
          } else {
            w[key] = key === "fill" ? patched(w.fill, parts.fill) : parts[key];
          }
        });
        current[cid] = expand(w);
        var byId = layers[cid] || {};
        Object.keys(byId).forEach(function (fid) {
          painted = true;
          var s = look(cid, fid), layer = byId[fid];
          if (sameLook(layer.options, s)) { return; }
          layer.options.interactive = s.interactive;
          layer.setStyle(s);
        });
      });
      if (painted) { drawn("restyle"); }
    },

    lineStyle: function (feature) {
      return feature.properties.kind === "outline"
        ? {color: "#1a1a1a", weight: 2.2, fill: false, interactive: false}
        : {color: "#4a4a4a", weight: 0.8, fill: false, interactive: false};
    },

    facilityPoint: function (feature, latlng) {
      return L.circleMarker(latlng, Object.assign({
        radius: 5.5, fillColor: feature.properties.colour, fillOpacity: 0.95,
        color: "#ffffff", weight: 1.2, bubblingMouseEvents: false
      }, inPane("qa-facilities")));
    },

    facilityFilter: function (feature, context) {
      return (hideout(context).show || []).indexOf(feature.properties.category) >= 0;
    },

    bindFacilityTip: function (feature, layer, context) {
      var label = (hideout(context).labels || {})[feature.properties.category];
      tooltip(layer, feature.properties.tip + (label ? "<br><i>" + label + "</i>" : ""));
    },

    markerPoint: function (feature, latlng) {
      var p = feature.properties;
      var marker = L.circleMarker(latlng, Object.assign({
        radius: p.radius, fillColor: p.color, fillOpacity: 0.95,
        color: "#ffffff", weight: 2, bubblingMouseEvents: false
      }, inPane("qa-markers")));
      if (p.radius_m) {
        // the walking distance around the coordinator's location, in metres on the ground
        var reach = L.circle(latlng, Object.assign({
          radius: p.radius_m, color: p.color, weight: 2, dashArray: "6 4",
          fillColor: p.color, fillOpacity: 0.06, interactive: false
        }, inPane("qa-borders")));
        reach.quartiersatlasReach = true;
        marker.on("add", function () { reach.addTo(marker._map); });
        marker.on("remove", function () { reach.remove(); });
      }
      return marker;
    },

    bindMarkerTip: function (feature, layer) {
      var p = feature.properties;
      if (p.label) {
        // a numbered suggestion: the number on the marker, the text in the suggestions list
        layer.bindTooltip(p.label, {permanent: true, direction: "center", className: "marker-label"});
      } else {
        tooltip(layer, p.tip);
      }
    }
  };

  /* The table view's <details> tells Dash when it opens or closes (its `open` prop): the
     server builds the table's rows only while they can be read (dashboard/callbacks/map.py),
     since hundreds of rows in the page slow down every later update. */
  document.addEventListener("toggle", function (event) {
    var el = event.target, dc = window.dash_clientside;
    if (el && el.id === "map-table-wrap" && dc && dc.set_props) {
      dc.set_props(el.id, {open: el.open});
    }
  }, true);

  /* The style store's every value, in order, goes to `restyle`: each value holds only the
     parts that changed since the one before, so none may be skipped. A clientside callback
     would get them too, but as a second round through dash-renderer after every change (its
     bookkeeping, run for all of the page's components, took a third of a slider step), so the
     map follows the store itself: Dash's renderer lists its Redux stores in
     `window.dash_stores` (where `dash_clientside.set_props` finds them too), and a listener
     sees every dispatch. The value is read where the store's component sits in the layout. */
  var STYLE_STORE = "map-style-store";  // dashboard/ids.py MAP_STYLE
  function watchStyleStore(store) {
    var last;
    store.subscribe(function () {
      var state = store.getState(), where = state.paths && state.paths.strs && state.paths.strs[STYLE_STORE];
      if (!where) { return; }
      var node = state.layout;
      for (var i = 0; node && i < where.length; i++) { node = node[where[i]]; }
      var data = node && node.props ? node.props.data : undefined;
      if (data === last) { return; }
      last = data;
      api.restyle(data);
    });
  }
  var stores = window.dash_stores = window.dash_stores || [];
  var push = stores.push;
  stores.push = function () {
    Array.prototype.forEach.call(arguments, watchStyleStore);
    return push.apply(this, arguments);
  };
  stores.forEach(watchStyleStore);

  window.quartiersatlasMap = api;
  window.dash_clientside = Object.assign({}, window.dash_clientside, {quartiersatlasMap: api});
})();
