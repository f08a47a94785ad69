// Drawing an area on the map (the target of a message, a proposed BIN, a BIN's new border):
// a polygon (tap its corners, tap the first one or the button again to close it) or a circle
// (tap the centre, then the edge), edited afterwards by dragging its corners. The shape goes
// into the form's field as GeoJSON (a Polygon, or {"type": "Circle", lon, lat, radius_m});
// the server checks it again, this only tells at once which BINs the shape touches.
(function () {
  "use strict";
  if (!window.L || !L.PM) return;

  var DECIMALS = 6;
  var METRES_PER_DEGREE = 111320;

  // --- a little plane geometry, enough to say which BINs a shape touches -----------------

  // Degrees to metres around a reference latitude: exact enough at the size of a zone.
  function projector(lat0) {
    var kx = METRES_PER_DEGREE * Math.cos((lat0 * Math.PI) / 180);
    return function (lonlat) {
      return [lonlat[0] * kx, lonlat[1] * METRES_PER_DEGREE];
    };
  }

  function inside(point, ring) {
    var result = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var a = ring[i];
      var b = ring[j];
      if (a[1] > point[1] !== b[1] > point[1]) {
        var x = ((b[0] - a[0]) * (point[1] - a[1])) / (b[1] - a[1]) + a[0];
        if (point[0] < x) result = !result;
      }
    }
    return result;
  }

  function cross(o, a, b) {
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  }

  function segmentsCross(p1, p2, q1, q2) {
    var d1 = cross(q1, q2, p1);
    var d2 = cross(q1, q2, p2);
    var d3 = cross(p1, p2, q1);
    var d4 = cross(p1, p2, q2);
    return d1 * d2 < 0 && d3 * d4 < 0;
  }

  function distanceToSegment(p, a, b) {
    var dx = b[0] - a[0];
    var dy = b[1] - a[1];
    var length = dx * dx + dy * dy;
    var t = length ? ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length : 0;
    t = Math.max(0, Math.min(1, t));
    var x = a[0] + t * dx - p[0];
    var y = a[1] + t * dy - p[1];
    return Math.sqrt(x * x + y * y);
  }

  function polygonsMeet(a, b) {
    var i;
    var j;
    for (i = 0; i < a.length; i++) if (inside(a[i], b)) return true;
    for (i = 0; i < b.length; i++) if (inside(b[i], a)) return true;
    for (i = 0; i + 1 < a.length; i++) {
      for (j = 0; j + 1 < b.length; j++) {
        if (segmentsCross(a[i], a[i + 1], b[j], b[j + 1])) return true;
      }
    }
    return false;
  }

  function circleMeets(centre, radius, ring) {
    if (inside(centre, ring)) return true;
    for (var i = 0; i + 1 < ring.length; i++) {
      if (distanceToSegment(centre, ring[i], ring[i + 1]) < radius) return true;
    }
    return false;
  }

  function outerRings(geometry) {
    if (!geometry) return [];
    if (geometry.type === "Polygon") return [geometry.coordinates[0]];
    if (geometry.type === "MultiPolygon") {
      return geometry.coordinates.map(function (polygon) {
        return polygon[0];
      });
    }
    return [];
  }

  // --- the drawing ------------------------------------------------------------------------

  function asGeoJSON(layer) {
    if (layer instanceof L.Circle) {
      var centre = layer.getLatLng();
      return {
        type: "Circle",
        lon: +centre.lng.toFixed(DECIMALS),
        lat: +centre.lat.toFixed(DECIMALS),
        radius_m: Math.round(layer.getRadius()),
      };
    }
    var corners = layer.getLatLngs()[0].map(function (ll) {
      return [+ll.lng.toFixed(DECIMALS), +ll.lat.toFixed(DECIMALS)];
    });
    corners.push(corners[0].slice());
    return { type: "Polygon", coordinates: [corners] };
  }

  function fromGeoJSON(value) {
    if (!value) return null;
    try {
      var shape = JSON.parse(value);
      if (shape.type === "Circle") {
        return L.circle([shape.lat, shape.lon], { radius: shape.radius_m });
      }
      if (shape.type === "Polygon") {
        return L.polygon(
          shape.coordinates[0].slice(0, -1).map(function (c) {
            return [c[1], c[0]];
          })
        );
      }
    } catch (e) {
      // Typed by hand and not (yet) valid: the field keeps it and the server explains.
    }
    return null;
  }

  function fill(template, count, names) {
    return (template || "").replace("{count}", String(count)).replace("{names}", names.join(", "));
  }

  function setup(el) {
    var api = el.buurtnetMap;
    if (!api) return;
    var map = api.map;
    var field = document.getElementById(el.dataset.field || "id_area");
    if (!field) return;
    var figure = el.closest(".map-figure") || el.parentNode;
    var tools = figure.querySelector(".map-tools");
    var out = document.getElementById(el.id + "-touching");
    var mode = el.dataset.touching || "";
    var drawn = null;
    var drawing = null;

    map.pm.setLang((document.documentElement.lang || "en").slice(0, 2));
    map.pm.setGlobalOptions({ snappable: false, allowSelfIntersection: true });

    function touched(shape) {
      var project = projector(map.getCenter().lat);
      var hits = [];
      api.areaLayers.forEach(function (entry) {
        if (entry.properties.this) return;
        var meets = outerRings(entry.layer.feature && entry.layer.feature.geometry).some(
          function (ring) {
            var area = ring.map(project);
            if (shape.type === "Circle") {
              return circleMeets(project([shape.lon, shape.lat]), shape.radius_m, area);
            }
            return polygonsMeet(shape.coordinates[0].map(project), area);
          }
        );
        var path = entry.layer.getElement && entry.layer.getElement();
        if (path) path.classList.toggle("area-touched", meets);
        if (meets) hits.push(entry.properties.name);
      });
      return hits;
    }

    function report(shape) {
      if (!out) return;
      var names = shape ? touched(shape) : touched({ type: "Polygon", coordinates: [[]] });
      out.classList.remove("warning");
      if (!shape || !mode) {
        out.textContent = "";
        return;
      }
      if (mode === "overlap") {
        out.textContent = names.length ? fill(el.dataset.textOverlap, names.length, names) : "";
        out.classList.toggle("warning", names.length > 0);
        return;
      }
      var key = names.length === 0 ? "textTouchingNone" : names.length === 1 ? "textTouchingOne" : "textTouchingMany";
      out.textContent = fill(el.dataset[key], names.length, names);
    }

    function write() {
      var shape = drawn ? asGeoJSON(drawn) : null;
      field.value = shape ? JSON.stringify(shape) : "";
      field.dispatchEvent(new Event("change", { bubbles: true }));
      // A form that offers several kinds of target chooses "the drawn area" by drawing.
      var selects = shape && field.dataset.selects && document.querySelector(field.dataset.selects);
      if (selects && !selects.checked) {
        selects.checked = true;
        selects.dispatchEvent(new Event("change", { bubbles: true }));
      }
      report(shape);
    }

    // Geoman's handles are buttons without a name; a screen reader should hear what they do.
    function nameHandles() {
      el.querySelectorAll(".marker-icon:not([aria-label])").forEach(function (handle) {
        var middle = handle.classList.contains("marker-icon-middle");
        handle.setAttribute("aria-label", middle ? el.dataset.textMidpoint : el.dataset.textCorner);
      });
    }
    new MutationObserver(nameHandles).observe(map.getPane("markerPane"), { childList: true });

    function keep(layer) {
      if (drawn && drawn !== layer) map.removeLayer(drawn);
      drawn = layer;
      var path = layer.getElement && layer.getElement();
      if (path) path.classList.add("map-shape");
      // No snapping: a corner would jump back to the old border drawn underneath.
      layer.pm.enable({ allowSelfIntersection: true, draggable: false, snappable: false });
      layer.on("pm:edit", write);
      write();
    }

    function press(which) {
      drawing = which;
      if (!tools) return;
      tools.querySelectorAll("button[data-draw]").forEach(function (button) {
        if (button.dataset.draw !== "clear") {
          button.setAttribute("aria-pressed", String(button.dataset.draw === which));
        }
      });
    }

    map.on("pm:create", function (event) {
      press(null);
      keep(event.layer);
    });
    map.on("pm:drawend", function () {
      press(null);
    });

    if (tools) {
      tools.querySelectorAll("button[data-draw]").forEach(function (button) {
        button.addEventListener("click", function () {
          var what = button.dataset.draw;
          if (what === "clear") {
            map.pm.disableDraw();
            if (drawn) map.removeLayer(drawn);
            drawn = null;
            press(null);
            write();
            return;
          }
          var shape = what === "circle" ? "Circle" : "Polygon";
          if (drawing === what && shape === "Polygon" && map.pm.Draw.Polygon._layer) {
            // A second press closes the polygon: easier on a phone than the first corner.
            map.pm.Draw.Polygon._finishShape();
            return;
          }
          map.pm.disableDraw();
          press(what);
          map.pm.enableDraw(shape, { continueDrawing: false, finishOn: null });
        });
      });
    }

    var existing = fromGeoJSON(field.value);
    if (existing) {
      existing.addTo(map);
      keep(existing);
      if (!api.data.fit) map.fitBounds(existing.getBounds(), { padding: [16, 16] });
    }
    if (field.form) {
      field.form.addEventListener("draft-restored", function () {
        var restored = fromGeoJSON(field.value);
        if (restored) {
          restored.addTo(map);
          keep(restored);
        }
      });
    }
    api.drawReady = true;
  }

  document.querySelectorAll('.map[data-mode="draw"]').forEach(setup);
})();
