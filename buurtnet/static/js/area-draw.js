// Draw the target area of a message on the SVG map: a polygon (tap its corners) or a
// circle (tap the centre, give the radius). The result goes into the hidden "area" field
// as GeoJSON (a Polygon, or {"type": "Circle", lon, lat, radius_m}).
(function () {
  var box = document.getElementById("area-draw");
  if (!box) return;
  var svg = box.querySelector("svg[data-pick]");
  var field = document.getElementById("id_area");
  var text = document.getElementById("area-text");
  var radius = document.getElementById("circle-radius");
  var ns = "http://www.w3.org/2000/svg";
  var minLon = parseFloat(svg.dataset.minLon), maxLat = parseFloat(svg.dataset.maxLat);
  var sx = parseFloat(svg.dataset.scaleX), sy = parseFloat(svg.dataset.scaleY);
  var mode = "polygon", points = [], centre = null;
  var shape = document.createElementNS(ns, "polygon");
  shape.setAttribute("class", "drawn-area");
  var circle = document.createElementNS(ns, "circle");
  circle.setAttribute("class", "drawn-area");
  svg.appendChild(shape); svg.appendChild(circle);
  var picked = document.getElementById("picked");
  if (picked) picked.remove();

  function lonLat(p) { return [+(minLon + p.x / sx).toFixed(6), +(maxLat - p.y / sy).toFixed(6)]; }
  function choose(radio) {
    var r = document.querySelector("input[name=target_type][value=area]");
    if (r) r.checked = true;
  }
  function update() {
    if (mode === "polygon") {
      circle.removeAttribute("r");
      shape.setAttribute("points", points.map(function (p) { return p.x + "," + p.y; }).join(" "));
      if (points.length >= 3) {
        var ring = points.map(lonLat); ring.push(ring[0]);
        field.value = JSON.stringify({ type: "Polygon", coordinates: [ring] });
      } else { field.value = ""; }
      text.textContent = points.length ? points.length + " ●" : "";
    } else if (centre) {
      shape.setAttribute("points", "");
      var m = parseFloat(radius.value) || 500;
      var ll = lonLat(centre);
      circle.setAttribute("cx", centre.x); circle.setAttribute("cy", centre.y);
      circle.setAttribute("r", m / 111320 * sy);
      field.value = JSON.stringify({ type: "Circle", lon: ll[0], lat: ll[1], radius_m: m });
      text.textContent = ll[1] + ", " + ll[0] + " · " + m + " m";
    }
  }
  svg.addEventListener("click", function (event) {
    event.preventDefault();
    var pt = svg.createSVGPoint();
    pt.x = event.clientX; pt.y = event.clientY;
    var p = pt.matrixTransform(svg.getScreenCTM().inverse());
    if (mode === "polygon") points.push(p); else centre = p;
    choose(); update();
  });
  radius.addEventListener("input", update);
  box.querySelectorAll("button[data-draw]").forEach(function (b) {
    b.addEventListener("click", function () {
      var what = b.dataset.draw;
      if (what === "clear") { points = []; centre = null; field.value = ""; text.textContent = ""; shape.setAttribute("points", ""); circle.removeAttribute("r"); return; }
      mode = what; points = []; centre = null; update();
    });
  });
  if (field.value) {
    try {
      var g = JSON.parse(field.value);
      if (g.type === "Circle") {
        mode = "circle"; radius.value = g.radius_m;
        centre = { x: (g.lon - minLon) * sx, y: (maxLat - g.lat) * sy };
      } else if (g.type === "Polygon") {
        points = g.coordinates[0].slice(0, -1).map(function (c) { return { x: (c[0] - minLon) * sx, y: (maxLat - c[1]) * sy }; });
      }
      update();
    } catch (e) { field.value = ""; }
  }
})();
