// Keeps the list of pending approvals current without a reload: the server renders it, this
// fetches the page again now and then and swaps that one part in.
(function () {
  "use strict";
  var INTERVAL_MS = 5000;

  function refresh() {
    var current = document.querySelector("[data-swap=pending-approvals]");
    if (!current || document.hidden) { return; }
    fetch(window.location.pathname, {credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html")
          .querySelector("[data-swap=pending-approvals]");
        if (fresh && fresh.innerHTML !== current.innerHTML) { current.replaceWith(fresh); }
      })
      .catch(function () { /* the next tick tries again */ });
  }

  window.setInterval(refresh, INTERVAL_MS);
})();
