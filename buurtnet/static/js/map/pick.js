// Choosing a place on the map (a home when joining, where something happened when
// reporting): a marker that a tap moves and a finger drags, the phone's own position on
// request, and the nearest address in words so that the person can tell the pin is right.
// The longitude and latitude go into the form's own inputs; the page works without this
// script through its address fields.
(function () {
  "use strict";
  if (!window.L) return;

  var DECIMALS = 6; // about 10 cm: more than a phone's position is worth

  function number(input) {
    var value = input ? parseFloat(input.value) : NaN;
    return isFinite(value) ? value : null;
  }

  function setup(el) {
    var api = el.buurtnetMap;
    if (!api) return;
    var map = api.map;
    var lon = document.getElementById(el.dataset.lon || "id_longitude");
    var lat = document.getElementById(el.dataset.lat || "id_latitude");
    if (!lon || !lat) return;
    var place = document.getElementById(el.id + "-place");
    var asked = 0; // answers to an older question are dropped

    function say(message, isError) {
      if (!place) return;
      place.textContent = message || "";
      place.classList.toggle("error", Boolean(isError));
    }

    function describe(latlng) {
      var url = el.dataset.nearestUrl;
      if (!place || !url) return;
      var question = (asked += 1);
      var query = "?lon=" + latlng.lng.toFixed(DECIMALS) + "&lat=" + latlng.lat.toFixed(DECIMALS);
      fetch(url + query, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (answer) {
          if (question !== asked) return;
          say(answer && answer.label ? answer.label : el.dataset.textNoAddress || "");
        })
        .catch(function () {
          if (question === asked) say("");
        });
    }

    function reveal() {
      document.querySelectorAll('[data-map-picked="' + el.id + '"]').forEach(function (node) {
        node.hidden = false;
      });
    }

    function putMarker(latlng) {
      if (api.marker) {
        api.marker.setLatLng(latlng);
        return;
      }
      // Our own pin, drawn in CSS: Leaflet's image icon finds its file by a name that
      // collectstatic's hashing changes, and a bigger pin is easier to grab with a finger.
      var pin = document.createElement("span");
      api.marker = L.marker(latlng, {
        icon: L.divIcon({ className: "map-pin", html: pin, iconSize: [40, 48], iconAnchor: [20, 39] }),
        draggable: true,
        autoPan: true,
        alt: el.dataset.textPicked || "",
        title: el.dataset.textPicked || "",
        keyboard: false,
      }).addTo(map);
      api.marker.on("dragend", function () {
        choose(api.marker.getLatLng());
      });
    }

    function choose(latlng) {
      putMarker(latlng);
      // A typed address would win over the pin on the server: the pin is the newer choice.
      document.querySelectorAll('[data-map-clears="' + el.id + '"]').forEach(function (input) {
        input.value = "";
        input.dispatchEvent(new Event("change", { bubbles: true }));
      });
      lon.value = latlng.lng.toFixed(DECIMALS);
      lat.value = latlng.lat.toFixed(DECIMALS);
      [lon, lat].forEach(function (input) {
        input.dispatchEvent(new Event("change", { bubbles: true }));
      });
      describe(latlng);
      reveal();
    }

    // A point already chosen (the member's home, a found address, a restored draft).
    function showChosen() {
      var x = number(lon);
      var y = number(lat);
      if (x === null || y === null) return;
      var latlng = L.latLng(y, x);
      putMarker(latlng);
      if (!map.getBounds().contains(latlng)) map.panTo(latlng, { animate: false });
      describe(latlng);
    }

    map.on("click", function (event) {
      choose(event.latlng);
    });
    if (lon.form) lon.form.addEventListener("draft-restored", showChosen);

    document.querySelectorAll('[data-map-locate="' + el.id + '"]').forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        if (!navigator.geolocation) {
          say(button.dataset.textUnavailable, true);
          return;
        }
        say(button.dataset.textFinding);
        navigator.geolocation.getCurrentPosition(
          function (position) {
            var latlng = L.latLng(position.coords.latitude, position.coords.longitude);
            map.setView(latlng, Math.max(map.getZoom(), 17));
            choose(latlng);
          },
          function (error) {
            var refused = error && error.code === 1; // PERMISSION_DENIED
            say(refused ? button.dataset.textRefused : button.dataset.textUnavailable, true);
          },
          { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
        );
      });
    });

    showChosen();
    api.pickReady = true;
  }

  document.querySelectorAll('.map[data-mode="pick"]').forEach(setup);
})();
