// New incident: submitting without a scenario says so beside the scenarios, not only in a
// browser bubble that some browsers never show for a radio group.
(function () {
  "use strict";

  var fieldset = document.querySelector("fieldset.scenarios");
  var error = document.querySelector("[data-role=scenario-error]");
  if (!fieldset || !error) { return; }
  var radios = fieldset.querySelectorAll("input[name=scenario]");

  radios.forEach(function (radio) {
    radio.addEventListener("invalid", function () {
      error.hidden = false;
      fieldset.setAttribute("aria-invalid", "true");
    });
    radio.addEventListener("change", function () {
      error.hidden = true;
      fieldset.removeAttribute("aria-invalid");
    });
  });
})();
