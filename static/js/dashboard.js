// Dashboard: the open incidents refresh themselves. The socket only hints that something
// changed; the list is always fetched over HTTP, rendered by the server for this user.
(function () {
  "use strict";

  var POLL_INTERVAL = 5000; // only while the dashboard socket is down or paused
  var list = document.getElementById("dashboard-open");
  var notice = document.getElementById("dashboard-paused");
  if (!list) { return; }

  var busy = false;
  var again = false;
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch("/dashboard/open/", {credentials: "same-origin"}).then(function (response) {
      if (!response.ok) { throw response; }
      return response.text();
    }).then(function (html) {
      var template = document.createElement("template");
      template.innerHTML = html;
      var fresh = template.content.querySelector('[data-swap="dashboard-open"]');
      if (fresh) { list.replaceWith(fresh); list = fresh; }
    }).catch(function () {}).then(function () {
      busy = false;
      if (again) { again = false; refresh(); }
    });
  }

  var poller = null;
  function polling(on) {
    notice.hidden = !on;
    if (on && !poller) { poller = setInterval(refresh, POLL_INTERVAL); }
    if (!on && poller) { clearInterval(poller); poller = null; }
  }

  function listen(retry) {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket;
    try {
      socket = new WebSocket(scheme + location.host + "/ws/dashboard/");
    } catch (error) {
      polling(true);
      return;
    }
    socket.onopen = function () { retry = 1000; };
    socket.onmessage = function (event) {
      var message = JSON.parse(event.data);
      // (Re)joined or paused: either way the list may have changed meanwhile.
      if (message.type === "live") { polling(!message.live); refresh(); }
      if (message.type === "changed") { refresh(); }
    };
    socket.onclose = function () {
      polling(true);
      setTimeout(function () { listen(Math.min(retry * 2, 10000)); }, retry);
    };
  }
  listen(1000);
})();
