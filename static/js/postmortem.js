// The postmortem page: each section's preview follows what is typed, rendered by the server
// (the same Markdown and sanitiser as the saved page and the download).
(function () {
  "use strict";

  var form = document.querySelector("form[data-preview-url]");
  if (!form) { return; }
  var url = form.getAttribute("data-preview-url");

  function preview(textarea) {
    var target = document.getElementById(textarea.getAttribute("data-preview"));
    var sent = textarea.value;
    window.consoleApi.api("POST", url, {text: sent}).then(function (data) {
      // An older answer arriving after a newer one must not overwrite it.
      if (textarea.value === sent) { target.innerHTML = data.html; }
    }).catch(function (error) {
      target.textContent = window.consoleApi.describeError(error);
    });
  }

  form.querySelectorAll("textarea[data-preview]").forEach(function (textarea) {
    var timer = null;
    textarea.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { preview(textarea); }, 250);
    });
  });
})();
