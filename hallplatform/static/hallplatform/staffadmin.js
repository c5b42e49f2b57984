/* The staff pages: a form with data-confirm asks before it is sent (deactivating, resetting,
   withdrawing: each ends something for a person). */
document.addEventListener("submit", function (event) {
  var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
