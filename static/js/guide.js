// The guided order on the incident page: progress and the next step (_guide.html) follow every
// run.  console.js announces each step card it refreshed; the guide is then fetched again, and
// any card whose guide-* classes differ from what the guide now says is asked to refresh, so a
// step becomes "Next step", "Done another way" or unblocked without a reload.
(function () {
  "use strict";

  var state = JSON.parse(document.getElementById("page-state").textContent);
  var busy = false;
  var again = false;

  function guideClasses(names) {
    return names.filter(function (name) {
      return name.indexOf("guide-") === 0 && name !== "guide-overridable";
    }).sort().join(" ");
  }

  function staleCards(guide) {
    guide.querySelectorAll("[data-guide-step]").forEach(function (item) {
      var card = document.getElementById("step-" + item.dataset.guideStep);
      if (!card) { return; }
      var expected = guideClasses(item.dataset.classes.split(" "));
      if (guideClasses(Array.prototype.slice.call(card.classList)) !== expected) {
        document.dispatchEvent(new CustomEvent("incident:card-stale", {detail: {step: item.dataset.guideStep}}));
      }
    });
  }

  // One request at a time; a card refreshed meanwhile asks for one more afterwards.
  function refreshGuide() {
    if (busy) { again = true; return; }
    busy = true;
    fetch("/incidents/" + state.incident + "/guide/", {credentials: "same-origin"})
      .then(function (response) {
        if (!response.ok) { throw response; }
        return response.text();
      })
      .then(function (html) {
        var template = document.createElement("template");
        template.innerHTML = html;
        var fresh = template.content.querySelector("#guide");
        var old = document.getElementById("guide");
        if (fresh && old) {
          old.replaceWith(fresh);
          staleCards(fresh);
        }
      })
      .catch(function () {})
      .then(function () {
        busy = false;
        if (again) { again = false; refreshGuide(); }
      });
  }

  document.addEventListener("incident:card-refreshed", refreshGuide);
})();
