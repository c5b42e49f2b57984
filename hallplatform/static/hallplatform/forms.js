// After a refused submit, the page opens at the first error: the first invalid field of any form
// (aria-invalid, or inside .field-invalid / .has-error), else an error summary or error list, gets the focus and is
// scrolled into view; a closed <details> around it is opened. Server-side `autofocus` does the same
// without JavaScript as far as a browser allows (casework/web/forms.py: mark_first_error).
(function () {
  "use strict";
  var FIELDS = "input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled])";

  function openDetails(element) {
    for (var node = element.parentElement; node; node = node.parentElement) {
      if (node.tagName === "DETAILS" && !node.open) node.open = true;
    }
  }

  function firstError() {
    var marked = document.querySelector("main [aria-invalid=true]");
    if (marked) return marked;
    var wrapper = document.querySelector("main .field-invalid, main .has-error");
    if (wrapper) {
      var field = wrapper.querySelector(FIELDS);
      if (field) return field;
    }
    var summary = document.querySelector("main .error-summary, main .errorlist");
    if (summary) {
      if (!summary.hasAttribute("tabindex")) summary.setAttribute("tabindex", "-1");
      return summary;
    }
    return null;
  }

  function focusFirstError() {
    var target = firstError();
    if (!target) return;
    openDetails(target);
    if (document.activeElement === target) return;
    target.focus({ preventScroll: true });
    target.scrollIntoView({ block: "center" });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusFirstError);
  } else {
    focusFirstError();
  }
})();
