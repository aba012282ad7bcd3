// Cancelling a run that has been going for a while throws away real work (a restore half done,
// a long copy): past a minute, the person confirms. A young run cancels at once.
(function () {
  "use strict";

  var CONFIRM_AFTER_SECONDS = 60;

  function minutesAndSeconds(seconds) {
    var minutes = Math.floor(seconds / 60);
    return minutes + " min " + Math.floor(seconds % 60) + " s";
  }

  // Resolves true when the run may be cancelled: it is young, or the person said yes.
  function confirmed(runId) {
    return window.consoleApi.api("GET", "/api/runs/" + runId + "/").then(function (run) {
      if (!run.started_at) { return true; }
      var seconds = (Date.now() - Date.parse(run.started_at)) / 1000;
      if (seconds <= CONFIRM_AFTER_SECONDS) { return true; }
      return window.confirm(
        "This run has been going for " + minutesAndSeconds(seconds) + ". Cancel it anyway? " +
        "Whatever it has done so far stays done."
      );
    }, function () { return window.confirm("Cancel this run?"); });
  }

  window.consoleCancel = {confirmed: confirmed};
})();
