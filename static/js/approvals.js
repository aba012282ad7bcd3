// Break-glass: a lone commander runs a step awaiting approval with a typed reason.  The card
// then follows the run through the page's websocket like any other.
(function () {
  "use strict";
  var consoleApi = window.consoleApi;

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-action=break-glass]");
    if (!button) { return; }
    var card = button.closest(".step");
    var box = button.closest("[data-swap=break-glass]");
    var reason = box.querySelector("[data-role=break-glass-reason]").value;
    var error = card.querySelector("[data-role=error]");
    button.disabled = true;
    consoleApi.api("POST", "/api/runs/" + box.dataset.run + "/break-glass/", {reason: reason})
      .then(function () { error.hidden = true; })
      .catch(function (data) {
        button.disabled = false;
        error.textContent = consoleApi.describeError(data);
        error.hidden = false;
      });
  });
})();
