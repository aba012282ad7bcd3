// The monthly SLA review's Print button (no inline script: the Content-Security-Policy).
(function () {
  "use strict";
  var button = document.querySelector("[data-action=print]");
  if (button) { button.addEventListener("click", function () { window.print(); }); }
})();
