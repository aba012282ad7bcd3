from django.conf import settings
from django.core.checks import Error, register

from runbooks.loader import load_runbook_dirs


@register("runbooks")
def check_runbooks(app_configs, **kwargs):
    """Report every runbook file that does not load, with its file and line."""
    report = load_runbook_dirs(settings.RUNBOOK_DIRS)
    return [Error(str(error), id="runbooks.E001") for error in report.errors]
