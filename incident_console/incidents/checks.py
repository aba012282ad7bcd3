from django.conf import settings
from django.core.checks import Error, Warning, register

from runbooks.loader import load_runbook_dirs


@register("runbooks")
def check_runbooks(app_configs, **kwargs):
    """Report every runbook file that does not load, and steps whose target cannot run them."""
    from executors import ExecutorError
    from incident_console.runs.executors import target_for

    report = load_runbook_dirs(settings.RUNBOOK_DIRS)
    # A slug defined twice (an import named like a shipped runbook) only skips the later file:
    # a warning, so that migrate and the server still start.
    errors = [
        Warning(str(error), id="runbooks.W003")
        if error.is_duplicate
        else Error(str(error), id="runbooks.E001")
        for error in report.errors
    ]
    for loaded in report.runbooks:
        for step in loaded.runbook.steps:
            if step.executor == "manual":
                continue
            try:
                target_for(step.executor, step.target)
            except ExecutorError as exc:
                message = f"{loaded.path}: step {step.id}: {exc}"
                # A warning, not an error: a runbook imported before its targets exist must not
                # stop migrate or the server; running such a step is refused with this reason.
                errors.append(Warning(message, id="runbooks.W002"))
    return errors
