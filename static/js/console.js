// Incident page: run steps, mark manual steps, and stream each run's output live.
// The database is the truth: every chunk has a per-run seq; the socket resumes with ?after=<seq>
// and chunks at or below the last shown seq are ignored, so nothing is lost or shown twice.
// What changes on the incident arrives as small hints on /ws/incidents/<id>/; the page then
// fetches the server-rendered parts (a step card, the head) and swaps them in place, so every
// role and status rule stays on the server and what a person typed stays in its field.
(function () {
  "use strict";

  var MAX_LINES = 5000; // the DOM keeps at most this many lines per run; the rest is one click away
  var POLL_INTERVAL = 5000; // only while the incident socket is down
  var state = JSON.parse(document.getElementById("page-state").textContent);
  var FINISHED = state.finished_statuses;
  var panes = {};

  var api = window.consoleApi.api;
  var describeError = window.consoleApi.describeError;

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
      if (message.type === "output_batch") { message.chunks.forEach(function (chunk) { self.append(chunk); }); }
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
      notice.textContent = gettext("Live updates paused — reconnecting. Output is still being saved.");
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
      this.notice.textContent = earlierLinesText(this.hidden);
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
        self.notice.textContent = self.firstSeq > 1 ? earlierLinesText(self.hidden) : "";
      }
    });
  };

  function earlierLinesText(count) {
    var format = ngettext(
      "… %(count)s earlier line not shown: load earlier",
      "… %(count)s earlier lines not shown: load earlier",
      count
    );
    return interpolate(format, {count: count}, true) + "\n";
  }

  function chunkSpan(chunk) {
    var span = document.createElement("span");
    span.className = chunk.stream;
    span.textContent = chunk.text;
    span.dataset.seq = chunk.seq;
    span.dataset.lines = (chunk.text.match(/\n/g) || []).length || 1;
    return span;
  }

  OutputPane.prototype.status = function (status) {
    if (FINISHED.indexOf(status) >= 0) {
      this.finished = true;
      this.paused(false);
      if (this.socket) { this.socket.close(); }
    }
    // A page loaded after the run ended already shows its status.
    if (!this.card.classList.contains("run-" + status)) { refreshCard(this.card.dataset.step); }
  };

  // Server-rendered parts replace their namesakes (data-swap) under root; fields are never
  // swapped, so what a person typed stays.
  function swapParts(root, html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    template.content.querySelectorAll("[data-swap]").forEach(function (fresh) {
      var old = root.querySelector('[data-swap="' + fresh.dataset.swap + '"]');
      if (old) { old.replaceWith(fresh); }
    });
    return template.content.firstElementChild;
  }

  function page(url) {
    return fetch(url, {credentials: "same-origin"}).then(function (response) {
      if (!response.ok) { throw response; }
      return response.text();
    });
  }

  // One request at a time per key; a hint arriving meanwhile asks for one more afterwards.
  var inFlight = {};
  function coalesced(key, work) {
    if (inFlight[key]) { inFlight[key] = "again"; return; }
    inFlight[key] = "busy";
    work().catch(function () {}).then(function () {
      var again = inFlight[key] === "again";
      delete inFlight[key];
      if (again) { coalesced(key, work); }
    });
  }

  function refreshCard(stepId) {
    var card = document.getElementById("step-" + stepId);
    if (!card) { return; }
    coalesced("step:" + stepId, function () {
      return page("/incidents/" + state.incident + "/steps/" + stepId + "/card/").then(function (html) {
        var fresh = swapParts(card, html);
        card.className = fresh.className;
        if (!card.querySelector("[data-action=approve]")) {
          var box = card.querySelector("[data-role=approve-box]");
          if (box) { box.hidden = true; }
        }
        if (fresh.dataset.run && fresh.dataset.run !== card.dataset.run) {
          card.dataset.run = fresh.dataset.run;
          showRun(card, Number(fresh.dataset.run));
        }
        document.dispatchEvent(new CustomEvent("incident:card-refreshed", {detail: {step: stepId}}));
      });
    });
  }

  // static/js/guide.js asks for cards whose place in the guided order changed.
  document.addEventListener("incident:card-stale", function (event) { refreshCard(event.detail.step); });

  // A commander's reason to run a step before what it needs succeeded (_needs_override.html).
  function withOverride(card, body) {
    var reason = card.querySelector("[data-role=override-reason]");
    if (reason && card.classList.contains("guide-overridable")) { body.override_needs = reason.value; }
    return body;
  }

  function refreshAllCards() {
    document.querySelectorAll(".step").forEach(function (card) { refreshCard(card.dataset.step); });
  }

  function refreshHead() {
    coalesced("head", function () {
      return page("/incidents/" + state.incident + "/head/").then(function (html) {
        swapParts(document, html);
        tickRto();
      });
    });
  }

  function showRun(card, runId) {
    if (panes[card.dataset.step] && panes[card.dataset.step].runId === runId) { return; }
    if (panes[card.dataset.step]) { panes[card.dataset.step].close(); }
    card.querySelector("[data-role=run]").hidden = false;
    panes[card.dataset.step] = new OutputPane(card, runId);
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
    var body = withOverride(card, {params: formValues(card)});
    var box = card.querySelector("[data-role=confirm]");
    if (confirm !== undefined) {
      body.confirm = confirm;
      body.digest = box.dataset.digest;
      if (box.dataset.lostRun) { body.acknowledge_lost = confirm; }
    }
    api("POST", stepUrl(card, "run"), body).then(function () {
      hideConfirm(card);
      refreshCard(card.dataset.step);
    }).catch(function (data) {
        if (data && data.error === "preview_outdated") {
          showConfirm(card, data);
          showError(card, gettext("What would run changed since you reviewed it: check the command again."));
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
    if (!card.dataset.run) { return; }
    showError(card, "");
    api("GET", "/api/runs/" + card.dataset.run + "/").then(function (run) {
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
      .then(function () { box.hidden = true; refreshCard(card.dataset.step); })
      .catch(function (data) { box.hidden = true; showError(card, describeError(data)); });
  }

  function completeStep(card, outcome) {
    showError(card, "");
    var note = card.querySelector("input[name=note]");
    var url = "/api/incidents/" + state.incident + "/steps/" + card.dataset.step + "/complete/";
    api("POST", url, withOverride(card, {outcome: outcome, note: note ? note.value : ""}))
      .then(function () { if (note) { note.value = ""; } refreshCard(card.dataset.step); })
      .catch(function (data) { showError(card, describeError(data)); });
  }

  function cancelRun(card) {
    if (!card.dataset.run) { return; }
    api("POST", "/api/runs/" + card.dataset.run + "/cancel/", {})
      .then(function () { refreshCard(card.dataset.step); })
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
      if (action === "cancel") {
        window.consoleCancel.confirmed(card.dataset.run).then(function (ok) { if (ok) { cancelRun(card); } });
      }
    });
    // Whatever the person changes after a preview makes that preview stale: close it.
    card.querySelectorAll("[data-role=form] input:not([data-role=confirm-input]), [data-role=form] select")
      .forEach(function (field) {
        field.addEventListener("input", function () { hideConfirm(card); });
        field.addEventListener("change", function () { hideConfirm(card); });
      });
    if (card.dataset.run) { showRun(card, Number(card.dataset.run)); }
  });

  // Lifecycle: status changes, notes, impact, escalation, restriction and members go through
  // the same API; the page then swaps in the parts that changed instead of reloading.
  function lifecycle(url, body, form) {
    var box = document.querySelector("[data-role=lifecycle-error]");
    box.hidden = true;
    return api("POST", "/api/incidents/" + state.incident + "/" + url + "/", body)
      .then(function () {
        if (form) {
          form.querySelectorAll("input[type=text], input:not([type])").forEach(function (input) {
            if (input.name !== "impact") { input.value = ""; }
          });
        }
        refreshHead();
        catchUp();
        if (url === "transition") { refreshAllCards(); }
      })
      .catch(function (data) { box.textContent = describeError(data); box.hidden = false; });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-transition]");
    if (button && !button.disabled) {
      lifecycle("transition", {status: button.dataset.transition});
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target.closest("[data-form]");
    if (!form) { return; }
    event.preventDefault();
    var data = new FormData(form);
    var kind = form.dataset.form;
    if (kind === "note") { lifecycle("notes", {text: data.get("text")}, form); }
    if (kind === "impact") { lifecycle("update_details", {impact: data.get("impact")}, form); }
    if (kind === "restrict") { lifecycle("restrict", {restricted: data.get("restricted") === "true"}, form); }
    if (kind === "member") { lifecycle("members", {username: data.get("username")}, form); }
    if (kind === "escalate") {
      lifecycle("escalate", {notify: [data.get("notify")], message: data.get("message")}, form);
    }
  });

  // The RTO clock counts down to the deadline, and turns red once it has passed.
  function tickRto() {
    var clock = document.getElementById("rto-clock");
    if (!clock || clock.dataset.resolved) { return; }
    var left = new Date(clock.dataset.deadline) - new Date();
    var minutes = Math.floor(Math.abs(left) / 60000);
    var text = interpolate(gettext("%(hours)s h %(minutes)s min"), {
      hours: Math.floor(minutes / 60),
      minutes: String(minutes % 60).padStart(2, "0"),
    }, true);
    var sentence = left >= 0 ? gettext("%(time)s left") : gettext("broken %(time)s ago");
    clock.querySelector("[data-role=rto-text]").textContent = interpolate(sentence, {time: text}, true);
    clock.classList.toggle("breached", left < 0);
  }
  tickRto();
  setInterval(tickRto, 15000);

  // The timeline lists the newest entry first, so it is always in view.
  var timelineIds = {};
  var lastEntry = 0;
  document.querySelectorAll("#timeline [data-entry]").forEach(function (item) {
    timelineIds[item.dataset.entry] = true;
    lastEntry = Math.max(lastEntry, Number(item.dataset.entry));
  });

  // The time of day as the server renders it (Django's "H:i:s"), in the page's time zone: the
  // person's zone when the page names one, else the browser's.  Assembled from parts because
  // some locales put other separators or a day period between them.
  function clockFormatIn(timeZone) {
    return new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
      timeZone: timeZone, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
    });
  }
  var clockFormat;
  try {
    clockFormat = clockFormatIn(document.documentElement.dataset.timeZone || undefined);
  } catch (unknownZone) {
    clockFormat = clockFormatIn(undefined);
  }
  function clockTime(iso) {
    var parts = {};
    clockFormat.formatToParts(new Date(iso)).forEach(function (part) { parts[part.type] = part.value; });
    return [parts.hour, parts.minute, parts.second].join(":");
  }

  function addEntry(entry) {
    if (timelineIds[entry.id]) { return false; }
    timelineIds[entry.id] = true;
    lastEntry = Math.max(lastEntry, entry.id);
    var item = document.createElement("li");
    item.className = "kind-" + entry.kind;
    item.dataset.entry = entry.id;
    var time = document.createElement("time");
    time.dateTime = entry.at;
    time.textContent = clockTime(entry.at);
    var actor = document.createElement("span");
    actor.className = "actor";
    actor.textContent = entry.actor || gettext("console");  // the template's word for an entry nobody made
    item.appendChild(time);
    item.appendChild(document.createTextNode(" "));
    item.appendChild(actor);
    item.appendChild(document.createTextNode(" " + entry.message));
    var list = document.getElementById("timeline");
    list.insertBefore(item, list.firstChild);
    return true;
  }

  // What a new entry says changed, for entries learnt by catching up (socket down or back).
  var stepOfRun = {};
  function onEntry(entry) {
    var what = state.incident_changes[entry.kind];
    if (what) {
      refreshHead();
      if (what === "status") { refreshAllCards(); }
    }
    if (!entry.run) { return; }
    var card = document.querySelector('.step[data-run="' + entry.run + '"]');
    var stepId = card ? card.dataset.step : stepOfRun[entry.run] || (entry.data && entry.data.step_id);
    if (stepId) { refreshCard(stepId); return; }
    api("GET", "/api/runs/" + entry.run + "/").then(function (run) {
      stepOfRun[run.id] = run.step_id;
      refreshCard(run.step_id);
    }).catch(function () {});
  }

  function catchUp() {
    coalesced("timeline", function () {
      return fetchEntries("/api/incidents/" + state.incident + "/timeline/?after=" + lastEntry);
    });
  }

  function fetchEntries(url) {
    return api("GET", url).then(function (page) {
      page.results.forEach(function (entry) { if (addEntry(entry)) { onEntry(entry); } });
      if (page.next) { return fetchEntries(page.next); }
    });
  }

  // The incident's socket is a hint: each message says what changed, the page fetches it.
  // While the socket is down (or its pushes paused) the page polls the timeline instead.
  var poller = null;
  function polling(on) {
    if (on && !poller) { poller = setInterval(catchUp, POLL_INTERVAL); }
    if (!on && poller) { clearInterval(poller); poller = null; }
  }

  function listen(retry) {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket;
    try {
      socket = new WebSocket(scheme + location.host + "/ws/incidents/" + state.incident + "/");
    } catch (error) {
      polling(true);
      return;
    }
    var opened = false;
    socket.onopen = function () { opened = true; retry = 1000; };
    socket.onmessage = function (event) {
      var message = JSON.parse(event.data);
      if (message.type === "live") {
        polling(!message.live);
        catchUp();
      }
      if (message.type === "timeline") {
        if (message.entry.run) { stepOfRun[message.entry.run] = message.entry.step_id; }
        catchUp();
      }
      if (message.type === "run" || message.type === "approval") { refreshCard(message.step_id); }
      if (message.type === "incident") {
        refreshHead();
        if (message.what === "status") { refreshAllCards(); }
      }
    };
    socket.onclose = function (event) {
      if (event.code === 4404) {
        polling(false);
        var box = document.querySelector("[data-role=lifecycle-error]");
        box.textContent = gettext("This incident is no longer visible to you.");
        box.hidden = false;
        return;
      }
      polling(true);
      if (opened) { refreshHead(); refreshAllCards(); }
      setTimeout(function () { listen(Math.min(retry * 2, 10000)); }, retry);
    };
  }
  listen(1000);
})();
