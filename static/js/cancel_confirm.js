// Cancelling a run that has been going for a while throws away real work (a restore half done,
// a long copy): past a minute, the person confirms. A young run cancels at once.
(function () {
  "use strict";

  var CONFIRM_AFTER_SECONDS = 60;

  function minutesAndSeconds(seconds) {
    var minutes = Math.floor(seconds / 60);
    return interpolate(gettext("%(minutes)s min %(seconds)s s"), {
      minutes: minutes,
      seconds: Math.floor(seconds % 60),
    }, true);
  }

  // Resolves true when the run may be cancelled: it is young, or the person said yes.
  function confirmed(runId) {
    return window.consoleApi.api("GET", "/api/runs/" + runId + "/").then(function (run) {
      if (!run.started_at) { return true; }
      var seconds = (Date.now() - Date.parse(run.started_at)) / 1000;
      if (seconds <= CONFIRM_AFTER_SECONDS) { return true; }
      var question = gettext("This run has been going for %(duration)s. Cancel it anyway? Whatever it has done so far stays done.");
      return window.confirm(interpolate(question, {duration: minutesAndSeconds(seconds)}, true));
    }, function () { return window.confirm(gettext("Cancel this run?")); });
  }

  window.consoleCancel = {confirmed: confirmed};
})();
