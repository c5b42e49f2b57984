/* The header's count of unread notices, kept current without reloading the page: every minute (and
   when the tab becomes visible again) the link marked data-unread-count-url asks that URL — the
   unread-count API, /api/v1/notices/unread-count/ — and writes the answer into its
   [data-unread-count] element. Same-origin fetch with the session cookie; a static file because the
   Content-Security-Policy allows scripts from this site only (docs/security.md). */
(function () {
  "use strict";

  var INTERVAL_MS = 60000;

  function start() {
    var link = document.querySelector("[data-unread-count-url]");
    if (!link || !window.fetch) {
      return;
    }
    var target = link.querySelector("[data-unread-count]");
    var url = link.getAttribute("data-unread-count-url");
    if (!target || !url) {
      return;
    }

    function refresh() {
      if (document.hidden) {
        return;
      }
      window
        .fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (data) {
          if (data && typeof data.unread === "number") {
            target.textContent = String(data.unread);
            link.classList.toggle("has-unread", data.unread > 0);
          }
        })
        .catch(function () {
          /* offline or logged out: keep the last count; the next tick tries again */
        });
    }

    window.setInterval(refresh, INTERVAL_MS);
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) {
        refresh();
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
