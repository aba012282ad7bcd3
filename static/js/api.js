// What every page's script shares: JSON requests to the console's API with the CSRF token,
// and one way of turning an error answer into a sentence.
(function () {
  "use strict";

  function csrfToken() {
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function api(method, url, body) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken()},
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) { throw data; }
        return data;
      });
    });
  }

  function describeError(data) {
    var text = (data && (data.detail || data.error)) || gettext("Request failed");
    if (data && data.fields) {
      text += ": " + Object.keys(data.fields).map(function (k) { return k + " " + data.fields[k]; }).join("; ");
    } else if (data && typeof data === "object" && !data.detail) {
      text = Object.keys(data).map(function (k) { return k + ": " + data[k]; }).join("; ");
    }
    return text;
  }

  window.consoleApi = {api: api, csrfToken: csrfToken, describeError: describeError};
})();
