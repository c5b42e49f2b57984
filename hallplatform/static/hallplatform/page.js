/* The pages' few behaviours, bound here rather than in inline handlers (onclick=…), which the
   Content-Security-Policy (script-src 'self', docs/security.md) refuses to run:
   - a button with data-print prints the page;
   - a select with data-autosubmit submits its form when changed (the header's language switch);
   - the header's 菜单 button (data-menu-toggle) opens and closes the menu on a phone. Without
     JavaScript the button stays hidden and the menu open (site.css keys both on <html class="js">). */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-menu-toggle]"), function (toggle) {
      var menu = document.getElementById(toggle.getAttribute("aria-controls"));
      if (!menu) {
        return;
      }
      toggle.addEventListener("click", function () {
        var open = toggle.getAttribute("aria-expanded") !== "true";
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
        menu.classList.toggle("open", open);
      });
      document.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
          toggle.setAttribute("aria-expanded", "false");
          menu.classList.remove("open");
          toggle.focus();
        }
      });
    });
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
