// Break-glass: a lone commander runs a step awaiting approval with a typed reason.  The card
// then follows the run through the page's websocket like any other.
(function () {
  "use strict";
  var consoleApi = window.consoleApi;
  // The card swaps this part in whenever its run changes: what was open and typed is kept.
  var typed = {};

  function remember(box) {
    typed[box.dataset.run] = {
      open: box.querySelector("details").open,
      reason: box.querySelector("[data-role=break-glass-reason]").value,
    };
  }

  function restore() {
    document.querySelectorAll("[data-swap=break-glass]").forEach(function (box) {
      var kept = typed[box.dataset.run];
      if (!kept || !box.querySelector("details")) { return; }
      var field = box.querySelector("[data-role=break-glass-reason]");
      if (kept.open && !box.querySelector("details").open) { box.querySelector("details").open = true; }
      if (field.value !== kept.reason) { field.value = kept.reason; }
    });
  }

  ["input", "toggle"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var box = event.target.closest && event.target.closest("[data-swap=break-glass]");
      if (box && box.dataset.run) { remember(box); }
    }, true);
  });
  new MutationObserver(restore).observe(document.body, {childList: true, subtree: true});

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
