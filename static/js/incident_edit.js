// Commanders change the incident's title, severity, commander and communications lead; only
// the fields that differ from the page's values are sent, then the page shows the new state.
(function () {
  "use strict";
  var consoleApi = window.consoleApi;

  function changed(form) {
    var body = {};
    form.querySelectorAll("input[name], select[name]").forEach(function (field) {
      var initial = field.tagName === "SELECT"
        ? (field.querySelector("option[selected]") || {value: ""}).value
        : field.defaultValue;
      if (field.value !== initial) { body[field.name] = field.value; }
    });
    return body;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target.closest("[data-form=incident-edit]");
    if (!form) { return; }
    event.preventDefault();
    var error = form.querySelector("[data-role=incident-edit-error]");
    var body = changed(form);
    if (!Object.keys(body).length) {
      error.textContent = gettext("Nothing changed.");
      error.hidden = false;
      return;
    }
    consoleApi.api("POST", "/api/incidents/" + form.dataset.incident + "/update_details/", body)
      .then(function () { window.location.reload(); })
      .catch(function (data) { error.textContent = consoleApi.describeError(data); error.hidden = false; });
  });
})();
