/* The pages' few behaviours, bound here rather than in inline handlers (onclick=…), which the
   Content-Security-Policy (script-src 'self', docs/security.md) refuses to run:
   - a button with data-print prints the page;
   - a select with data-autosubmit submits its form when changed (the header's language switch). */
(function () {
  "use strict";

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
      button.addEventListener("click", function () {
        window.print();
      });
    });
    Array.prototype.forEach.call(document.querySelectorAll("select[data-autosubmit]"), function (select) {
      select.addEventListener("change", function () {
        if (select.form) {
          select.form.submit();
        }
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
