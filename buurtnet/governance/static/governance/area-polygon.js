// Draw a proposed BIN area on the SVG map: each tap adds a corner; the GeoJSON polygon goes
// into the "area" field (a text area that also works without this script).
(function () {
  var box = document.getElementById("area-polygon");
  if (!box) return;
  var svg = box.querySelector("svg[data-pick]");
  var field = document.getElementById("id_area");
  var note = document.getElementById("area-corners");
  if (!svg || !field) return;
  var ns = "http://www.w3.org/2000/svg";
  var minLon = parseFloat(svg.dataset.minLon), maxLat = parseFloat(svg.dataset.maxLat);
  var sx = parseFloat(svg.dataset.scaleX), sy = parseFloat(svg.dataset.scaleY);
  var points = [];
  var shape = document.createElementNS(ns, "polygon");
  shape.setAttribute("class", "drawn-area");
  svg.appendChild(shape);
  var picked = document.getElementById("picked");
  if (picked) picked.remove();
  var buttons = box.querySelectorAll("button[data-area]");
  buttons.forEach(function (b) { b.hidden = false; });

  function lonLat(p) { return [+(minLon + p.x / sx).toFixed(6), +(maxLat - p.y / sy).toFixed(6)]; }
  function update() {
    shape.setAttribute("points", points.map(function (p) { return p.x + "," + p.y; }).join(" "));
    if (points.length >= 3) {
      var ring = points.map(lonLat); ring.push(ring[0]);
      field.value = JSON.stringify({ type: "Polygon", coordinates: [ring] });
    } else {
      field.value = "";
    }
    note.textContent = points.length ? points.length + " ●" : "";
  }
  svg.addEventListener("click", function (event) {
    event.preventDefault();
    var pt = svg.createSVGPoint();
    pt.x = event.clientX; pt.y = event.clientY;
    points.push(pt.matrixTransform(svg.getScreenCTM().inverse()));
    update();
  });
  buttons.forEach(function (b) {
    b.addEventListener("click", function () {
      if (b.dataset.area === "undo") points.pop(); else points = [];
      update();
    });
  });
  if (field.value) {
    try {
      var g = JSON.parse(field.value);
      if (g.type === "Polygon") {
        points = g.coordinates[0].slice(0, -1).map(function (c) {
          return { x: (c[0] - minLon) * sx, y: (maxLat - c[1]) * sy };
        });
        update();
      }
    } catch (e) { /* typed by hand: leave it as it is */ }
  }
})();
