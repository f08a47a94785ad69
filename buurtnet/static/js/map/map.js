// Every map of Buurtnet: a Leaflet map on the configured base map, with the areas of BINs,
// points (numbered where a list next to the map carries the same numbers) and a shape.
// The page gives everything in markup (networks/_map.html): data-* attributes on the map's
// element and a JSON block (json_script) named by data-map. pick.js and draw.js build on the
// object this file leaves on the element (element.buurtnetMap).
//
// Without a reachable tile server (an air-gapped installation, a bad connection) the map
// still works on a plain background and says so: the areas and points are ours, not the
// tile server's.
(function () {
  "use strict";
  if (!window.L) return;

  var BELGIUM = [[49.5, 2.55], [51.5, 6.4]];
  var LABEL_ZOOM = 14; // from this zoom a BIN's name fits inside its area on a phone
  var TILE_PATIENCE_MS = 10000; // a blackholed tile host never answers

  function text(el, key, fallback) {
    var value = el.dataset[key];
    return value === undefined || value === "" ? fallback || "" : value;
  }

  function readData(el) {
    var node = document.getElementById(el.dataset.map);
    if (!node) return {};
    try {
      return JSON.parse(node.textContent) || {};
    } catch (e) {
      return {};
    }
  }

  function attributionNode(el) {
    // The attribution is configuration, shown as text (never as HTML) with its link.
    var label = text(el, "attribution");
    if (!label) return "";
    var url = text(el, "attributionUrl");
    var span = document.createElement("span");
    if (url) {
      var link = document.createElement("a");
      link.href = url;
      link.rel = "noopener";
      link.textContent = label;
      span.appendChild(link);
    } else {
      span.textContent = label;
    }
    return span.innerHTML;
  }

  function showNote(el) {
    var note = document.getElementById(el.id + "-note");
    el.classList.add("map-plain");
    if (note && note.hidden) {
      note.textContent = text(el, "unavailable");
      note.hidden = false;
    }
  }

  function hideNote(el) {
    var note = document.getElementById(el.id + "-note");
    el.classList.remove("map-plain");
    if (note) note.hidden = true;
  }

  function addBaseLayer(map, el) {
    var url = text(el, "tiles");
    if (!url) {
      // The installation chose no base map (MAP_TILES=none): a plain background, no alarm.
      el.classList.add("map-plain");
      return null;
    }
    var native = parseInt(el.dataset.maxNativeZoom, 10);
    if (!isFinite(native)) native = 17;
    var layer = L.tileLayer(url, {
      maxNativeZoom: native,
      // Beyond the tiles' own last level Leaflet enlarges them: a street stays readable.
      maxZoom: Math.max(native, 19),
      attribution: attributionNode(el),
      crossOrigin: false,
    });
    var loaded = 0;
    var failed = 0;
    layer.on("tileload", function () {
      loaded += 1;
      hideNote(el);
    });
    layer.on("tileerror", function () {
      failed += 1;
      if (!loaded && failed >= 2) showNote(el);
    });
    window.setTimeout(function () {
      if (!loaded) showNote(el);
    }, TILE_PATIENCE_MS);
    layer.addTo(map);
    return layer;
  }

  function areaClass(properties) {
    var names = "area area-" + (properties.status || "none");
    if (properties.this) names += " area-this";
    if (properties.url) names += " area-link";
    return names;
  }

  // Names come from people (a BIN's name, an address): Leaflet puts a string tooltip in as
  // HTML, so every tooltip gets a text node instead.
  function textNode(value) {
    var span = document.createElement("span");
    span.textContent = value;
    return span;
  }

  function followLink(url) {
    window.location.assign(url);
  }

  // A BIN's area: its name on hover and on keyboard focus, its page on click or Enter.
  function wireArea(layer, properties, el) {
    var name = properties.name || "";
    var label = properties.status_label ? name + " (" + properties.status_label + ")" : name;
    if (name) {
      layer.bindTooltip(textNode(name), {
        permanent: true,
        direction: "center",
        className: "area-label",
        interactive: false,
        opacity: 1,
      });
    }
    function reveal(on) {
      var tip = layer.getTooltip && layer.getTooltip();
      var node = tip && tip.getElement();
      if (node) node.classList.toggle("is-shown", on);
    }
    layer.on("mouseover", function () {
      reveal(true);
    });
    layer.on("mouseout", function () {
      reveal(false);
    });
    if (properties.url) {
      layer.on("click", function () {
        followLink(properties.url);
      });
    }
    layer.on("add", function () {
      var path = layer.getElement && layer.getElement();
      if (!path || !properties.url) return;
      path.setAttribute("tabindex", "0");
      path.setAttribute("role", "link");
      path.setAttribute("aria-label", label);
      path.addEventListener("focus", function () {
        reveal(true);
      });
      path.addEventListener("blur", function () {
        reveal(false);
      });
      path.addEventListener("keydown", function (event) {
        if (event.key === "Enter") followLink(properties.url);
      });
    });
    el.buurtnetMap.areaLayers.push({ layer: layer, properties: properties });
  }

  function addAreas(map, data, el) {
    var collection = data.areas || { type: "FeatureCollection", features: [] };
    var interactive = (el.dataset.mode || "view") === "view";
    return L.geoJSON(collection, {
      interactive: interactive,
      style: function (feature) {
        return { className: areaClass(feature.properties || {}) };
      },
      onEachFeature: function (feature, layer) {
        wireArea(layer, feature.properties || {}, el);
      },
    }).addTo(map);
  }

  // A number, or several ("1, 4") where reports share a place: the badge grows with it.
  function numberIcon(number) {
    var span = document.createElement("span");
    span.textContent = String(number);
    var width = Math.max(30, 14 + 9 * span.textContent.length);
    return L.divIcon({
      className: "map-number",
      html: span,
      iconSize: [width, 30],
      iconAnchor: [width / 2, 15],
    });
  }

  function addPoints(map, data) {
    var layers = [];
    (data.points || []).forEach(function (p) {
      var where = [p.lat, p.lon];
      var marker;
      if (p.number !== null && p.number !== undefined) {
        marker = L.marker(where, {
          icon: numberIcon(p.number),
          alt: p.label ? p.number + ". " + p.label : String(p.number),
          title: p.label || "",
          keyboard: false,
        });
      } else {
        marker = L.circleMarker(where, {
          radius: 9,
          className: "map-point map-point-" + (p.kind || "home"),
          interactive: Boolean(p.label),
        });
        if (p.label) marker.bindTooltip(textNode(p.label));
      }
      layers.push(marker.addTo(map));
    });
    return layers;
  }

  function asLayer(shape) {
    if (!shape) return null;
    if (shape.type === "Circle") {
      return L.circle([shape.lat, shape.lon], { radius: shape.radius_m, className: "map-shape" });
    }
    return L.geoJSON(shape, { style: { className: "map-shape" }, interactive: false });
  }

  function labelsAtZoom(map, el, wanted) {
    function update() {
      el.classList.toggle("labels-on", wanted && map.getZoom() >= LABEL_ZOOM);
    }
    map.on("zoomend", update);
    update();
  }

  function translateControls(map, el) {
    var zoom = map.zoomControl;
    if (!zoom) return;
    var container = zoom.getContainer();
    [
      [".leaflet-control-zoom-in", text(el, "textZoomIn", "+")],
      [".leaflet-control-zoom-out", text(el, "textZoomOut", "−")],
    ].forEach(function (pair) {
      var button = container.querySelector(pair[0]);
      if (!button || pair[1].length < 2) return;
      button.title = pair[1];
      button.setAttribute("aria-label", pair[1]);
    });
  }

  function create(el) {
    var data = readData(el);
    var map = L.map(el, { scrollWheelZoom: false, tapTolerance: 20 });
    el.buurtnetMap = { map: map, data: data, areaLayers: [], ready: false };
    map.attributionControl.setPrefix(false);
    translateControls(map, el);
    // The page scrolls under a mouse wheel until the map is chosen.
    map.on("focus click", function () {
      map.scrollWheelZoom.enable();
    });
    if (data.fit) {
      map.fitBounds(data.fit, { padding: [16, 16], maxZoom: 17 });
    } else {
      map.fitBounds(BELGIUM);
    }
    addBaseLayer(map, el);
    el.buurtnetMap.areas = addAreas(map, data, el);
    el.buurtnetMap.points = addPoints(map, data);
    if (el.dataset.mode !== "draw") {
      var shape = asLayer(data.shape);
      if (shape) shape.addTo(map);
      el.buurtnetMap.shape = shape;
    }
    labelsAtZoom(map, el, Boolean(data.labels));
    el.buurtnetMap.ready = true;
    return el.buurtnetMap;
  }

  // Shared with pick.js and draw.js.
  window.BuurtnetMap = { create: create, showNote: showNote };

  document.querySelectorAll(".map[data-map]").forEach(function (el) {
    if (!el.buurtnetMap) create(el);
  });
})();
