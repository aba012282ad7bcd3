// The top bar's menu button on narrow screens: shows and hides the navigation.
(function () {
  "use strict";

  var button = document.querySelector("[data-role=menu-toggle]");
  if (!button) { return; }
  button.addEventListener("click", function () {
    var open = button.getAttribute("aria-expanded") === "true";
    button.setAttribute("aria-expanded", open ? "false" : "true");
  });
})();
