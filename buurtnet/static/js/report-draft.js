// Keeps a report's draft on the device until the server has it. A member on a bad
// connection who loses the page (or taps "send" while offline) finds what they typed.
// Photos are not kept: a browser cannot put a chosen file back into a form.
(function () {
  "use strict";
  var store;
  try { store = window.localStorage; } catch (e) { return; }
  if (!store) return;

  // The confirmation page says the report arrived: the draft is done with.
  var done = document.querySelector("[data-clear-draft]");
  if (done) { store.removeItem(done.getAttribute("data-clear-draft")); return; }

  var form = document.querySelector("form[data-draft-key]");
  if (!form) return;
  var key = form.getAttribute("data-draft-key");
  var SKIP = { csrfmiddlewaretoken: 1, photos: 1 };

  function fields() {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && !SKIP[el.name] && el.type !== "file" && el.type !== "submit";
    });
  }

  function save() {
    var data = {};
    fields().forEach(function (el) {
      if (el.type === "radio") { if (el.checked) data[el.name] = el.value; }
      else if (el.type === "checkbox") data[el.name] = el.checked;
      else data[el.name] = el.value;
    });
    data._saved = Date.now();
    try { store.setItem(key, JSON.stringify(data)); } catch (e) { /* storage full */ }
  }

  function restore() {
    var raw = store.getItem(key);
    if (!raw) return;
    var data;
    try { data = JSON.parse(raw); } catch (e) { store.removeItem(key); return; }
    // A page the server sent back with errors already holds what was typed.
    if (form.querySelector(".error")) return;
    var changed = false;
    fields().forEach(function (el) {
      if (!(el.name in data) || KEEP_CURRENT[el.name]) return;
      var value = data[el.name];
      if (el.type === "radio") { if (el.value === value && !el.checked) { el.checked = true; changed = true; } }
      else if (el.type === "checkbox") { if (el.checked !== value) { el.checked = value; changed = true; } }
      else if (el.value !== value && value !== "") { el.value = value; changed = true; }
    });
    if (!changed) return;
    if (data.description) {
      var note = document.getElementById("draft-restored");
      if (note) note.hidden = false;
    }
    if (lon && lon.value !== startLon) pinMoved();
    // The pick map listens to this and puts its marker where the restored inputs say.
    form.dispatchEvent(new Event("draft-restored"));
  }

  // The sentence under the map follows the pin: the map's own script moves it and
  // fires "change" on the longitude input.
  var lon = form.querySelector("#id_longitude");
  var startLon = lon ? lon.value : "";
  function pinMoved() {
    var text = document.getElementById("picked-text");
    if (text && text.dataset.pickedLabel) text.textContent = text.dataset.pickedLabel;
  }
  if (lon) lon.addEventListener("change", pinMoved);

  // Which BIN and which message the form is about come from the link that opened it,
  // never from an older draft.
  var KEEP_CURRENT = { network: 1, message: 1 };

  restore();
  form.addEventListener("input", save);
  form.addEventListener("change", save);
  form.addEventListener("submit", function (event) {
    save();
    if (navigator.onLine === false) {
      event.preventDefault();
      var note = document.getElementById("offline-note");
      if (note) { note.hidden = false; note.scrollIntoView(); }
    }
  });
})();
