// Live SMS segment counter for every <textarea data-sms-counter="OUTPUT_ID">.
//
// The output element carries the (server-side translated) wording:
//   data-template="{segments} segment(s) · {remaining} left · {encoding}"
//   optional data-template-one (used for exactly one segment), data-label-gsm7 and
//   data-label-ucs2 (shown instead of the technical encoding names).
// Placeholders: {segments} {remaining} {encoding} {units} {per_segment}.
// With data-sms-limit="N" on the textarea, more than N segments adds class
// "over-limit" to the output and aria-invalid="true" to the textarea.
//
// Keep in step with buurtnet/messaging/sms_segments.py: same alphabet, same rules.
// Non-ASCII characters are written as \u escapes so the charset the file is served
// with cannot change the alphabet.
(function () {
  "use strict";

  // GSM 03.38 default alphabet (0x1B ESC left out). Only the capital C cedilla is in it.
  var GSM_BASIC =
    "@\u00a3$\u00a5\u00e8\u00e9\u00f9\u00ec\u00f2\u00c7\n\u00d8\u00f8\r\u00c5\u00e5" +
    "\u0394_\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039e\u00c6\u00e6\u00df\u00c9" +
    " !\"#\u00a4%&'()*+,-./0123456789:;<=>?" +
    "\u00a1ABCDEFGHIJKLMNOPQRSTUVWXYZ\u00c4\u00d6\u00d1\u00dc\u00a7" +
    "\u00bfabcdefghijklmnopqrstuvwxyz\u00e4\u00f6\u00f1\u00fc\u00e0";
  // Extension table: sent as ESC + character, 2 septets each.
  var GSM_EXTENSION = "\f^{}\\[~]|\u20ac";

  // Sizes per character: septets for GSM-7, UTF-16 code units for UCS-2.
  function sizes(text) {
    var gsm = [], ucs = [], allGsm = true;
    for (var i = 0; i < text.length; i++) {
      var code = text.charCodeAt(i);
      var next = text.charCodeAt(i + 1);
      if (code >= 0xd800 && code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        ucs.push(2); // surrogate pair (most emoji): never in GSM-7
        allGsm = false;
        i++;
        continue;
      }
      var ch = text.charAt(i);
      ucs.push(1);
      if (GSM_EXTENSION.indexOf(ch) !== -1) gsm.push(2);
      else if (GSM_BASIC.indexOf(ch) !== -1) gsm.push(1);
      else allGsm = false;
    }
    return allGsm ? { encoding: "GSM-7", sizes: gsm } : { encoding: "UCS-2", sizes: ucs };
  }

  // A 2-unit character (escape pair, surrogate pair) is never split across segments.
  function count(text) {
    var s = sizes(text);
    var single = s.encoding === "GSM-7" ? 160 : 70;
    var multi = s.encoding === "GSM-7" ? 153 : 67;
    var units = 0;
    for (var i = 0; i < s.sizes.length; i++) units += s.sizes[i];
    if (units <= single) {
      return {
        encoding: s.encoding, units: units, segments: units ? 1 : 0,
        per_segment: single, remaining: single - units
      };
    }
    var segments = 1, used = 0;
    for (var j = 0; j < s.sizes.length; j++) {
      if (used + s.sizes[j] > multi) { segments++; used = 0; }
      used += s.sizes[j];
    }
    return {
      encoding: s.encoding, units: units, segments: segments,
      per_segment: multi, remaining: multi - used
    };
  }

  function render(output, result) {
    var data = output.dataset;
    var template = (result.segments === 1 && data.templateOne) || data.template || "";
    var labels = { "GSM-7": data.labelGsm7, "UCS-2": data.labelUcs2 };
    var values = {
      segments: result.segments, remaining: result.remaining, units: result.units,
      per_segment: result.per_segment, encoding: labels[result.encoding] || result.encoding
    };
    return template.replace(/\{(\w+)\}/g, function (match, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : match;
    });
  }

  function attach(textarea) {
    var output = document.getElementById(textarea.dataset.smsCounter);
    if (!output) return;
    var limit = parseInt(textarea.dataset.smsLimit, 10);
    function update() {
      var result = count(textarea.value);
      output.textContent = render(output, result);
      if (isNaN(limit)) return;
      var over = result.segments > limit;
      output.classList.toggle("over-limit", over);
      if (over) textarea.setAttribute("aria-invalid", "true");
      else textarea.removeAttribute("aria-invalid");
    }
    textarea.addEventListener("input", update);
    update();
  }

  var textareas = document.querySelectorAll("textarea[data-sms-counter]");
  for (var i = 0; i < textareas.length; i++) attach(textareas[i]);
})();
