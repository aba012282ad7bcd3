// Incident page: before anyone presses Escalate, show who the chosen role or level reaches and
// through which channels, and what will not be sent and why (from /api/escalation/preview/).
(function () {
  "use strict";

  var form = document.querySelector("form[data-form=escalate]");
  if (!form) { return; }
  var select = form.querySelector("select[name=notify]");
  var box = form.querySelector("[data-role=escalate-preview]");

  function item(text, className) {
    var li = document.createElement("li");
    li.textContent = text;
    if (className) { li.className = className; }
    return li;
  }

  // The contact's fields the API names as still empty.
  var FIELD_LABELS = {
    name: pgettext("contact field", "name"),
    phone: pgettext("contact field", "phone"),
    email: pgettext("contact field", "email"),
  };
  function fieldLabel(field) { return FIELD_LABELS[field] || field; }

  function reach(entry) {
    return entry.to
      ? item(entry.channel + ": " + entry.to)
      : item(interpolate(gettext("%(channel)s: will not be sent: %(why)s"), entry, true), "will-not");
  }

  function show(preview) {
    box.textContent = "";
    var channels = document.createElement("ul");
    channels.dataset.role = "preview-channels";
    preview.channels.forEach(function (entry) { channels.appendChild(reach(entry)); });
    box.appendChild(document.createTextNode(gettext("On-call channels:")));
    box.appendChild(channels);
    if (!preview.contacts.length) {
      box.appendChild(item(gettext("Nobody is listed for this choice on the contacts page."), "will-not"));
    }
    preview.contacts.forEach(function (contact) {
      var head = contact.role + (contact.name ? " (" + contact.name + ")" : "") +
        (contact.phone ? " · " + interpolate(gettext("call %(phone)s"), contact, true) : "");
      var person = document.createElement("div");
      person.dataset.contact = contact.role;
      person.textContent = head;
      if (contact.not_filled_in.length) {
        var missing = document.createElement("strong");
        missing.className = "not-filled";
        missing.textContent = " " + interpolate(gettext("not filled in: %(fields)s"), {
          fields: contact.not_filled_in.map(fieldLabel).join(", "),
        }, true);
        person.appendChild(missing);
      }
      var list = document.createElement("ul");
      contact.channels.forEach(function (entry) { list.appendChild(reach(entry)); });
      person.appendChild(list);
      box.appendChild(person);
    });
  }

  // Only the answer for the latest choice is shown, whatever order the answers arrive in.
  var latest = 0;
  function refresh() {
    var asked = ++latest;
    if (!select.value) {
      box.textContent = gettext("No escalation levels or contacts yet: see the contacts page.");
      return;
    }
    var url = "/api/escalation/preview/?notify=" + encodeURIComponent(select.value);
    window.consoleApi.api("GET", url).then(function (preview) {
      if (asked === latest) { show(preview); }
    }).catch(function (data) {
      if (asked === latest) { box.textContent = window.consoleApi.describeError(data); }
    });
  }

  select.addEventListener("change", refresh);
  refresh();
})();
