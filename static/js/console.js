// Incident page: run steps, mark manual steps, and stream each run's output live.
// The database is the truth: every chunk has a per-run seq; the socket resumes with ?after=<seq>
// and chunks at or below the last shown seq are ignored, so nothing is lost or shown twice.
(function () {
  "use strict";

  var MAX_LINES = 5000; // the DOM keeps at most this many lines per run; the rest is one click away
  var FINISHED = ["succeeded", "failed", "cancelled", "timed_out", "lost", "skipped"];
  var ROLE_RANK = {viewer: 0, responder: 1, commander: 2};
  var state = JSON.parse(document.getElementById("page-state").textContent);
  var panes = {};

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
    var text = (data && (data.detail || data.error)) || "Request failed";
    if (data && data.fields) {
      text += ": " + Object.keys(data.fields).map(function (k) { return k + " " + data.fields[k]; }).join("; ");
    } else if (data && typeof data === "object" && !data.detail) {
      text = Object.keys(data).map(function (k) { return k + ": " + data[k]; }).join("; ");
    }
    return text;
  }

  function OutputPane(card, runId) {
    this.card = card;
    this.runId = runId;
    this.pre = card.querySelector("[data-role=output]");
    this.pre.textContent = "";
    this.lastSeq = 0;
    this.firstSeq = null;   // oldest chunk still in the DOM
    this.lines = 0;
    this.hidden = 0;
    this.finished = false;
    this.retry = 500;
    this.notice = null;
    this.connect();
  }

  OutputPane.prototype.connect = function () {
    var self = this;
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + "/ws/runs/" + this.runId + "/?after=" + this.lastSeq);
    this.socket = socket;
    socket.onopen = function () { self.retry = 500; self.paused(false); };
    socket.onmessage = function (event) {
      var message = JSON.parse(event.data);
      if (message.type === "output") { self.append(message); }
      if (message.type === "status") { self.status(message.status, message.exit_code); }
      if (message.type === "live") { self.paused(!message.live); }
    };
    socket.onclose = function () {
      if (self.finished || self.closedByPage) { return; }
      self.paused(true);
      setTimeout(function () { self.connect(); }, self.retry);
      self.retry = Math.min(self.retry * 2, 10000);
    };
  };

  // Output keeps coming from the database while pushes are paused; the notice says why it
  // may arrive in bursts.
  OutputPane.prototype.paused = function (isPaused) {
    var notice = this.card.querySelector("[data-role=live-paused]");
    if (!notice && isPaused) {
      notice = document.createElement("p");
      notice.className = "live-paused";
      notice.dataset.role = "live-paused";
      notice.setAttribute("role", "status");
      notice.textContent = "Live updates paused — reconnecting. Output is still being saved.";
      this.pre.parentNode.insertBefore(notice, this.pre);
    }
    if (notice) { notice.hidden = !isPaused || this.finished; }
  };

  OutputPane.prototype.close = function () {
    this.closedByPage = true;
    if (this.socket) { this.socket.close(); }
  };

  OutputPane.prototype.append = function (chunk) {
    if (chunk.seq <= this.lastSeq) { return; }
    this.lastSeq = chunk.seq;
    var follow = this.pre.scrollTop + this.pre.clientHeight >= this.pre.scrollHeight - 8;
    var span = chunkSpan(chunk);
    if (this.firstSeq === null) { this.firstSeq = chunk.seq; }
    this.pre.appendChild(span);
    this.lines += Number(span.dataset.lines);
    this.trim();
    if (follow) { this.pre.scrollTop = this.pre.scrollHeight; }
  };

  OutputPane.prototype.trim = function () {
    // The newest chunk always stays, however long it is (a chunk is at most 64 KiB).
    while (this.lines > MAX_LINES && this.pre.childNodes.length > (this.notice ? 2 : 1)) {
      var first = this.pre.firstChild;
      if (first === this.notice) { first = first.nextSibling; }
      var count = Number(first.dataset.lines || 0);
      var next = first.nextSibling;
      this.pre.removeChild(first);
      this.firstSeq = next ? Number(next.dataset.seq) : null;
      this.lines -= count;
      this.hidden += count;
    }
    if (this.hidden) {
      if (!this.notice) {
        this.notice = document.createElement("a");
        this.notice.className = "hidden-lines";
        this.notice.href = "#";
        this.notice.dataset.action = "load-earlier";
        this.pre.insertBefore(this.notice, this.pre.firstChild);
      }
      this.notice.textContent = "… " + this.hidden + " earlier lines not shown: load earlier\n";
    }
  };

  // Earlier output comes back from the database on demand, a page at a time; the live tail
  // keeps trimming so the DOM stays bounded.
  OutputPane.prototype.loadEarlier = function () {
    var self = this;
    var before = this.firstSeq || 1;
    var after = Math.max(0, before - 1 - 50);
    var url = "/api/runs/" + this.runId + "/output/?after=" + after + "&limit=" + (before - 1 - after);
    if (before <= 1) { return; }
    api("GET", url).then(function (page) {
      var anchor = self.notice ? self.notice.nextSibling : self.pre.firstChild;
      page.chunks.forEach(function (chunk) {
        if (chunk.seq >= before) { return; }
        var span = chunkSpan(chunk);
        self.pre.insertBefore(span, anchor);
        self.hidden = Math.max(0, self.hidden - Number(span.dataset.lines));
      });
      self.firstSeq = after + 1;
      if (self.notice) {
        self.notice.textContent = self.firstSeq > 1
          ? "… " + self.hidden + " earlier lines not shown: load earlier\n" : "";
      }
    });
  };

  function chunkSpan(chunk) {
    var span = document.createElement("span");
    span.className = chunk.stream;
    span.textContent = chunk.text;
    span.dataset.seq = chunk.seq;
    span.dataset.lines = (chunk.text.match(/\n/g) || []).length || 1;
    return span;
  }

  OutputPane.prototype.status = function (status, exitCode) {
    setStepStatus(this.card, status, exitCode);
    if (FINISHED.indexOf(status) >= 0) {
      this.finished = true;
      if (this.socket) { this.socket.close(); }
    }
  };

  function setStepStatus(card, status, exitCode) {
    var badge = card.querySelector("[data-role=status]");
    badge.textContent = status + (exitCode !== null && exitCode !== undefined && status !== "succeeded" ? " (exit " + exitCode + ")" : "");
    card.className = card.className.replace(/\brun-\S+/g, "").trim() + " run-" + status;
    var running = FINISHED.indexOf(status) < 0;
    var runButton = card.querySelector("[data-action=run]");
    var cancelButton = card.querySelector("[data-action=cancel]");
    var approveButton = card.querySelector("[data-action=approve]");
    if (runButton) { runButton.disabled = running || state.closed || !allowed(card); }
    if (cancelButton) { cancelButton.hidden = !running || !may("responder"); }
    if (approveButton) { approveButton.hidden = status !== "awaiting_approval" || !may("commander"); }
  }

  function may(role) { return ROLE_RANK[state.role] >= ROLE_RANK[role]; }

  function allowed(card) {
    return may(card.dataset.destructive === "true" ? "commander" : "responder");
  }

  function showRun(card, run) {
    if (panes[card.dataset.step] && panes[card.dataset.step].runId === run.id) { return; }
    if (panes[card.dataset.step]) { panes[card.dataset.step].close(); }
    card.querySelector("[data-role=run]").hidden = false;
    card.querySelector("[data-role=run-foot]").innerHTML = '<a target="_blank" href="/runs/' + run.id + '/output.txt">full output</a>';
    if (run.command) {
      var meta = card.querySelector("[data-role=run-meta]");
      meta.textContent = "";
      var code = document.createElement("code");
      code.textContent = "$ " + run.command;
      meta.appendChild(code);
      meta.appendChild(document.createTextNode(" · run " + run.id + (run.created_by ? " by " + run.created_by : "")));
    }
    setStepStatus(card, run.status, run.exit_code);
    panes[card.dataset.step] = new OutputPane(card, run.id);
  }

  function formValues(card) {
    var values = {};
    card.querySelectorAll("[data-role=form] input, [data-role=form] select").forEach(function (input) {
      if (input.name && input.name !== "note") { values[input.name] = input.value; }
    });
    return values;
  }

  function showError(card, text) {
    var box = card.querySelector("[data-role=error]");
    box.textContent = text || "";
    box.hidden = !text;
  }

  function stepUrl(card, verb) {
    return "/api/incidents/" + state.incident + "/steps/" + card.dataset.step + "/" + verb + "/";
  }

  function runStep(card, confirm) {
    showError(card, "");
    var body = {params: formValues(card)};
    var box = card.querySelector("[data-role=confirm]");
    if (confirm !== undefined) {
      body.confirm = confirm;
      body.digest = box.dataset.digest;
      if (box.dataset.lostRun) { body.acknowledge_lost = confirm; }
    }
    api("POST", stepUrl(card, "run"), body).then(function (data) {
      hideConfirm(card);
      return api("GET", "/api/runs/" + data.run + "/");
    }).then(function (run) { showRun(card, run); })
      .catch(function (data) {
        if (data && data.error === "preview_outdated") {
          showConfirm(card, data);
          showError(card, "What would run changed since you reviewed it: check the command again.");
          return;
        }
        if (data && data.error === "previous_run_lost") {
          showConfirm(card, data);
          card.querySelector("[data-role=confirm]").dataset.lostRun = data.lost_run;
          showError(card, data.detail);
          return;
        }
        showError(card, describeError(data));
      });
  }

  // A destructive step first shows exactly what it will run and where (a dry run), and runs
  // only once the person has typed the target's name.  The run request carries the preview's
  // digest, so the server runs exactly what was shown or nothing.
  function confirmStep(card) {
    showError(card, "");
    api("POST", stepUrl(card, "preview"), {params: formValues(card)})
      .then(function (preview) { showConfirm(card, preview); })
      .catch(function (data) { showError(card, describeError(data)); });
  }

  function showConfirm(card, preview) {
    var box = card.querySelector("[data-role=confirm]");
    box.dataset.digest = preview.digest;
    box.querySelector("[data-role=confirm-target]").textContent = preview.target + hostText(preview.host);
    box.querySelector("[data-role=confirm-name]").textContent = preview.target;
    box.querySelector("[data-role=confirm-command]").textContent = preview.command;
    var input = box.querySelector("[data-role=confirm-input]");
    var button = box.querySelector("[data-action=confirm-run]");
    input.value = "";
    button.disabled = true;
    input.oninput = function () { button.disabled = input.value !== preview.target; };
    box.hidden = false;
    input.focus();
  }

  function hostText(host) {
    var where = host && (host.host || host.base_url || host.bucket || host.compose_dir);
    return where ? " (" + where + ")" : "";
  }

  function hideConfirm(card) {
    var box = card.querySelector("[data-role=confirm]");
    if (box) { box.hidden = true; delete box.dataset.digest; delete box.dataset.lostRun; }
  }

  // The approver sees the run's exact command first; the approval carries its digest.
  function reviewApproval(card) {
    var pane = panes[card.dataset.step];
    if (!pane) { return; }
    showError(card, "");
    api("GET", "/api/runs/" + pane.runId + "/").then(function (run) {
      var box = card.querySelector("[data-role=approve-box]");
      box.dataset.digest = run.digest;
      box.dataset.run = run.id;
      box.querySelector("[data-role=approve-target]").textContent = run.target;
      box.querySelector("[data-role=approve-command]").textContent = run.command;
      box.querySelector("[data-role=approve-requester]").textContent = run.created_by || "—";
      box.hidden = false;
      box.querySelector("[data-action=approve-confirm]").focus();
    }).catch(function (data) { showError(card, describeError(data)); });
  }

  function approveRun(card) {
    var box = card.querySelector("[data-role=approve-box]");
    api("POST", "/api/runs/" + box.dataset.run + "/approve/", {digest: box.dataset.digest})
      .then(function (run) { box.hidden = true; setStepStatus(card, run.status, run.exit_code); })
      .catch(function (data) { box.hidden = true; showError(card, describeError(data)); });
  }

  function completeStep(card, outcome) {
    showError(card, "");
    var note = card.querySelector("input[name=note]");
    var url = "/api/incidents/" + state.incident + "/steps/" + card.dataset.step + "/complete/";
    api("POST", url, {outcome: outcome, note: note ? note.value : ""})
      .then(function (run) { showRun(card, run); })
      .catch(function (data) { showError(card, describeError(data)); });
  }

  function cancelRun(card) {
    var pane = panes[card.dataset.step];
    if (!pane) { return; }
    api("POST", "/api/runs/" + pane.runId + "/cancel/", {})
      .catch(function (data) { showError(card, describeError(data)); });
  }

  document.querySelectorAll(".step").forEach(function (card) {
    card.addEventListener("click", function (event) {
      var action = event.target.dataset && event.target.dataset.action;
      if (action === "run") {
        if (card.dataset.destructive === "true") { confirmStep(card); } else { runStep(card); }
      }
      if (action === "confirm-run") {
        runStep(card, card.querySelector("[data-role=confirm-input]").value);
      }
      if (action === "confirm-cancel") { hideConfirm(card); }
      if (action === "approve") { reviewApproval(card); }
      if (action === "approve-confirm") { approveRun(card); }
      if (action === "approve-cancel") { card.querySelector("[data-role=approve-box]").hidden = true; }
      if (action === "load-earlier") {
        event.preventDefault();
        if (panes[card.dataset.step]) { panes[card.dataset.step].loadEarlier(); }
      }
      if (action === "done") { completeStep(card, "done"); }
      if (action === "skip") { completeStep(card, "skipped"); }
      if (action === "cancel") { cancelRun(card); }
    });
    // Whatever the person changes after a preview makes that preview stale: close it.
    card.querySelectorAll("[data-role=form] input:not([data-role=confirm-input]), [data-role=form] select")
      .forEach(function (field) {
        field.addEventListener("input", function () { hideConfirm(card); });
        field.addEventListener("change", function () { hideConfirm(card); });
      });
    var known = state.runs[card.dataset.step];
    if (known) {
      setStepStatus(card, known.status, known.exit_code);
      panes[card.dataset.step] = new OutputPane(card, known.id);
    } else {
      var button = card.querySelector("[data-action=run]");
      if (button) {
        button.disabled = state.closed || !allowed(card);
        if (!allowed(card)) { button.title = "Your role cannot run this step"; }
      }
      card.querySelectorAll("[data-action=done], [data-action=skip]").forEach(function (b) {
        b.disabled = state.closed || !may("responder");
      });
    }
  });

  // Lifecycle: status changes, notes, impact and escalation go through the same API.
  function lifecycle(url, body) {
    var box = document.querySelector("[data-role=lifecycle-error]");
    box.hidden = true;
    return api("POST", "/api/incidents/" + state.incident + "/" + url + "/", body)
      .then(function () { location.reload(); })
      .catch(function (data) { box.textContent = describeError(data); box.hidden = false; });
  }

  document.querySelectorAll("[data-transition]").forEach(function (button) {
    button.addEventListener("click", function () {
      lifecycle("transition", {status: button.dataset.transition});
    });
  });

  document.querySelectorAll("[data-form]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var data = new FormData(form);
      var kind = form.dataset.form;
      if (kind === "note") { lifecycle("notes", {text: data.get("text")}); }
      if (kind === "impact") { lifecycle("update_details", {impact: data.get("impact")}); }
      if (kind === "restrict") { lifecycle("restrict", {restricted: data.get("restricted") === "true"}); }
      if (kind === "member") { lifecycle("members", {username: data.get("username")}); }
      if (kind === "escalate") {
        lifecycle("escalate", {notify: [data.get("notify")], message: data.get("message")});
      }
    });
  });

  // The RTO clock counts down to the deadline, and turns red once it has passed.
  function tickRto() {
    var clock = document.getElementById("rto-clock");
    if (!clock || clock.dataset.resolved) { return; }
    var left = new Date(clock.dataset.deadline) - new Date();
    var minutes = Math.floor(Math.abs(left) / 60000);
    var text = Math.floor(minutes / 60) + " h " + String(minutes % 60).padStart(2, "0") + " min";
    clock.querySelector("[data-role=rto-text]").textContent = left >= 0 ? text + " left" : "broken " + text + " ago";
    clock.classList.toggle("breached", left < 0);
  }
  tickRto();
  setInterval(tickRto, 15000);

  function lastTimelineId() {
    var entries = document.querySelectorAll("#timeline [data-entry]");
    return entries.length ? Number(entries[entries.length - 1].dataset.entry) : 0;
  }

  function appendTimeline(entries) {
    var list = document.getElementById("timeline");
    entries.forEach(function (entry) {
      var item = document.createElement("li");
      item.className = "kind-" + entry.kind;
      item.dataset.entry = entry.id;
      var time = document.createElement("time");
      time.dateTime = entry.at;
      time.textContent = new Date(entry.at).toISOString().substring(11, 19);
      var actor = document.createElement("span");
      actor.className = "actor";
      actor.textContent = entry.actor || "console";
      item.appendChild(time);
      item.appendChild(document.createTextNode(" "));
      item.appendChild(actor);
      item.appendChild(document.createTextNode(" " + entry.message));
      list.appendChild(item);
    });
  }

  // Runs started from another browser or the API, and new timeline entries, appear without a reload.
  function refresh() {
    var base = "/api/incidents/" + state.incident + "/";
    api("GET", base).then(function (incident) {
      incident.steps.forEach(function (step) {
        var card = document.getElementById("step-" + step.id);
        if (card && step.latest_run) { showRun(card, step.latest_run); }
      });
      var status = document.getElementById("incident-status");
      status.textContent = incident.status;
      status.className = "status " + incident.status;
      return api("GET", base + "timeline/?after=" + lastTimelineId());
    }).then(function (page) { appendTimeline(page.results); })
      .catch(function () {}).then(function () { setTimeout(refresh, 2000); });
  }
  setTimeout(refresh, 2000);
})();
