// Turn on web push for this device: register the service worker, subscribe with the
// server's VAPID key and hand the subscription to Buurtnet. All texts come from the page.
(function () {
  var box = document.getElementById("push-setup");
  if (!box) return;
  var button = document.getElementById("push-enable");
  var status = document.getElementById("push-status");

  function say(text) { status.textContent = text || ""; }

  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    say(box.dataset.textUnsupported);
    return;
  }
  button.hidden = false;

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : box.dataset.csrfToken;
  }

  function keyBytes(base64url) {
    var base64 = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function sameKey(subscription, key) {
    var current = subscription.options && subscription.options.applicationServerKey;
    if (!current) return true;
    current = new Uint8Array(current);
    if (current.length !== key.length) return false;
    for (var i = 0; i < key.length; i++) if (current[i] !== key[i]) return false;
    return true;
  }

  // A subscription made with an older server key cannot be used any more: replace it.
  function subscribe(registration) {
    var key = keyBytes(box.dataset.publicKey);
    var options = { userVisibleOnly: true, applicationServerKey: key };
    return registration.pushManager.getSubscription().then(function (existing) {
      if (existing && sameKey(existing, key)) return existing;
      var cleared = existing ? existing.unsubscribe() : Promise.resolve();
      return cleared.then(function () { return registration.pushManager.subscribe(options); });
    });
  }

  function store(subscription) {
    return fetch(box.dataset.subscribeUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(subscription.toJSON())
    }).then(function (response) {
      if (response.ok) return;
      return response.json().catch(function () { return {}; }).then(function (answer) {
        var error = new Error("refused");
        error.text = answer.error;
        throw error;
      });
    });
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    say(box.dataset.textWorking);
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") {
        var error = new Error("denied");
        error.text = box.dataset.textDenied;
        throw error;
      }
      return navigator.serviceWorker.register(box.dataset.workerUrl, { scope: box.dataset.scope });
    }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(subscribe).then(store).then(function () {
      say(box.dataset.textDone);
      // The device list and the confirmation come from the server.
      window.location.reload();
    }).catch(function (error) {
      say((error && error.text) || box.dataset.textFailed);
      button.disabled = false;
    });
  });
})();
