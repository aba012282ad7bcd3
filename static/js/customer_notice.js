// Incident page: a customer_notice step sends the subject and message as the commander edited
// them.  The server records what was sent and tells the page, which refreshes the step's card.
(function () {
  "use strict";

  var state = JSON.parse(document.getElementById("page-state").textContent);

  function csrfToken() {
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function describe(data) {
    var text = (data && data.detail) || gettext("Sending failed");
    if (data && data.fields) {
      text += ": " + Object.keys(data.fields).map(function (k) { return k + " " + data.fields[k]; }).join("; ");
    }
    return text;
  }

  function send(box, button) {
    var error = box.querySelector("[data-role=notice-error]");
    error.hidden = true;
    button.disabled = true;
    var url = "/api/incidents/" + state.incident + "/steps/" + box.dataset.step + "/customer-notice/";
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken()},
      body: JSON.stringify({
        subject: box.querySelector("[data-role=notice-subject]").value,
        body: box.querySelector("[data-role=notice-body]").value,
      }),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) { throw data; }
        return data;
      });
    }).then(function () {
      button.textContent = gettext("Sent");
    }).catch(function (data) {
      button.disabled = false;
      error.textContent = describe(data);
      error.hidden = false;
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-action=send-notice]");
    if (!button || button.disabled) { return; }
    send(button.closest("[data-role=customer-notice]"), button);
  });
})();
