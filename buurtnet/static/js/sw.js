// Buurtnet service worker: shows web push messages and opens the page they point to.
// Served from /channels/sw.js with "Service-Worker-Allowed: /" so it covers the whole site.
self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

function readPush(event) {
  if (!event.data) return {};
  try {
    return event.data.json();
  } catch (error) {
    return { body: event.data.text() };
  }
}

// Only pages of this site: a push payload must never send the member elsewhere.
function sameOriginUrl(url) {
  try {
    var target = new URL(url || "/", self.location.origin);
    return target.origin === self.location.origin ? target.href : self.location.origin + "/";
  } catch (error) {
    return self.location.origin + "/";
  }
}

self.addEventListener("push", function (event) {
  var message = readPush(event);
  var options = {
    body: message.body || "",
    data: { url: sameOriginUrl(message.url) },
    // An urgent alert stays on screen until the member reacts to it.
    requireInteraction: Boolean(message.urgent)
  };
  if (message.tag) {
    // The same delivery sent twice replaces its notification instead of adding one.
    options.tag = message.tag;
  }
  event.waitUntil(self.registration.showNotification(message.title || "Buurtnet", options));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = sameOriginUrl(event.notification.data && event.notification.data.url);
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
      for (var i = 0; i < windows.length; i++) {
        if (windows[i].url === url && "focus" in windows[i]) return windows[i].focus();
      }
      return self.clients.openWindow(url);
    })
  );
});
