from django.conf import settings
from django.core.checks import Error, Warning, register

from runbooks.loader import load_runbook_dirs
from runbooks.site import read_site, site_problems


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


@register("site")
def check_site(app_configs, **kwargs):
    """The site's files validate and every name they use exists (site.E001, site.E002).

    Escalation rules naming a person or level the site does not have are warnings (site.W003):
    an imported runbook may name someone before the site lists them.
    """
    from incident_console.runs.executors import targets

    site, errors = read_site(settings.SITE_DIR)
    if site is None:
        return [Error(str(error), id="site.E001") for error in errors]
    report = load_runbook_dirs(settings.RUNBOOK_DIRS)
    scenarios = {loaded.runbook.slug for loaded in report.runbooks}
    found = site_problems(site, targets=targets(), scenarios=scenarios)
    messages = [Error(str(problem), id="site.E002") for problem in found]
    roles = {person.role.lower() for person in site.contacts.people}
    levels = {f"level:{level.level}" for level in site.contacts.levels}
    for loaded in report.runbooks:
        for rule in loaded.runbook.escalation_rules:
            for name in rule.notify:
                if name.lower() not in roles and name not in levels:
                    message = (
                        f"{loaded.path}: escalation_rules {rule.id}: notifies {name!r}, "
                        f"not a role or level of {site.path / 'contacts.yaml'}"
                    )
                    messages.append(Warning(message, id="site.W003"))
        messages += _notice_problems(site, loaded)
    return messages


def _notice_problems(site, loaded) -> list[Warning]:
    """A customer_notice step needs the site's template and a customer contact (site.W004)."""
    problems = []
    for step in loaded.runbook.steps:
        if step.executor != "customer_notice":
            continue
        name = step.args["template"]
        if site.notice_template(name) is None:
            reason = f"no template {site.path / 'notices' / name}.txt"
        elif not site.contacts.customer:
            reason = f"{site.path / 'contacts.yaml'} names no customer contact (customer:)"
        else:
            continue
        message = f"{loaded.path}: step {step.id}: {reason}"
        problems.append(Warning(message, id="site.W004"))
    return problems
