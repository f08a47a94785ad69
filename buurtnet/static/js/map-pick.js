// Tap the map to pick a point: SVG coordinates back to longitude and latitude.
(function () {
  var svg = document.querySelector("svg[data-pick]");
  if (!svg) return;
  var lon = document.getElementById("id_longitude");
  var lat = document.getElementById("id_latitude");
  var dot = document.getElementById("picked");
  var text = document.getElementById("picked-text");
  var use = document.getElementById("use-point");
  var minLon = parseFloat(svg.dataset.minLon), maxLat = parseFloat(svg.dataset.maxLat);
  var sx = parseFloat(svg.dataset.scaleX), sy = parseFloat(svg.dataset.scaleY);
  svg.addEventListener("click", function (event) {
    var pt = svg.createSVGPoint();
    pt.x = event.clientX; pt.y = event.clientY;
    var p = pt.matrixTransform(svg.getScreenCTM().inverse());
    lon.value = (minLon + p.x / sx).toFixed(6);
    lat.value = (maxLat - p.y / sy).toFixed(6);
    dot.setAttribute("cx", p.x); dot.setAttribute("cy", p.y); dot.style.display = "";
    text.textContent = lat.value + ", " + lon.value;
    use.hidden = false;
  });
})();
