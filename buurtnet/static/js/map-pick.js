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

  // A point already chosen (the member's home, or a restored draft) is shown on the map.
  function showChosen() {
    if (!lon.value || !lat.value) return;
    dot.setAttribute("cx", (parseFloat(lon.value) - minLon) * sx);
    dot.setAttribute("cy", (maxLat - parseFloat(lat.value)) * sy);
    dot.removeAttribute("hidden");
  }
  showChosen();
  if (lon.form) lon.form.addEventListener("draft-restored", showChosen);

  svg.addEventListener("click", function (event) {
    var pt = svg.createSVGPoint();
    pt.x = event.clientX; pt.y = event.clientY;
    var p = pt.matrixTransform(svg.getScreenCTM().inverse());
    lon.value = (minLon + p.x / sx).toFixed(6);
    lat.value = (maxLat - p.y / sy).toFixed(6);
    dot.setAttribute("cx", p.x); dot.setAttribute("cy", p.y); dot.removeAttribute("hidden");
    // A translated sentence where the page gives one; the coordinates otherwise.
    if (text) text.textContent = text.dataset.pickedLabel || lat.value + ", " + lon.value;
    if (use) use.hidden = false;
    lon.dispatchEvent(new Event("change", { bubbles: true }));
  });
})();
