// Timeline page: load a run's stored output when its section is opened.
(function () {
  "use strict";
  document.querySelectorAll("details.run-output").forEach(function (details) {
    details.addEventListener("toggle", function () {
      var pre = details.querySelector("pre");
      if (!details.open || pre.dataset.loaded) { return; }
      fetch(pre.dataset.src, {credentials: "same-origin"})
        .then(function (response) { return response.text(); })
        .then(function (text) { pre.textContent = text; pre.dataset.loaded = "1"; });
    });
  });
})();
