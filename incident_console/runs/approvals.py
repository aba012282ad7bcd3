"""Approvals that reach people: who is told of a request, when it expires, and break-glass.

A step that requires approval waits for a second commander (``services.step_run_approve``).
Every other commander hears of the request; an unanswered request expires; a lone commander
may run it anyway with a typed reason, which everyone hears of.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from incident_console.accounts.roles import COMMAND, require
from incident_console.errors import Conflict, InvalidInput
from incident_console.i18n import in_site_language
from incident_console.incidents.models import Incident, TimelineEntry
from incident_console.incidents.selectors import runs_visible_to
from incident_console.incidents.timeline import timeline_add
from incident_console.runs.broadcast import broadcast_run_status
from incident_console.runs.dispatch import enqueue_run
from incident_console.runs.models import StepRun

Status = StepRun.Status


def commanders_other_than(user) -> list:
    """The active commanders other than ``user``: who is asked to approve."""
    commanders = get_user_model().objects.filter(is_active=True).exclude(pk=user.pk)
    perm = Q(groups__permissions__codename="command") | Q(user_permissions__codename="command")
    return list(commanders.filter(perm | Q(is_superuser=True)).distinct().order_by("username"))


def approval_request_announce(*, run: StepRun, actor) -> None:
    """Tell every other commander, on the configured channels, that ``run`` waits for them, in
    the site's language."""
    from incident_console.notifications.services import notify

    incident = run.incident
    names = [user.username for user in commanders_other_than(actor)]
    others = ", ".join(names) if names else gettext_lazy("nobody else")
    subject = format_lazy(
        gettext_lazy("[{severity}] #{incident} approval needed: {step}"),
        severity=incident.severity.upper(),
        incident=incident.pk,
        step=run.step_title,
    )
    body = format_lazy(
        gettext_lazy(
            "{user} asks a second commander ({others}) to approve “{step}” on {target}:\n"
            "{command}\nExpires in {minutes} min. {link}"
        ),
        user=actor.username,
        others=others,
        step=run.step_title,
        target=run.target,
        command=run.command_display,
        minutes=_minutes(settings.APPROVAL_EXPIRES_AFTER),
        link=incident_link(incident),
    )
    notify(
        incident=incident,
        subject=in_site_language(subject),
        body=in_site_language(body),
        reason="approval_requested",
        actor=actor,
        what=in_site_language(
            format_lazy(gettext_lazy("Approval request for “{step}”"), step=run.step_title)
        ),
    )


def incident_link(incident: Incident) -> str:
    return f"{settings.CONSOLE_URL.rstrip('/')}{incident.get_absolute_url()}"


def _minutes(seconds: float) -> int:
    return max(1, round(seconds / 60))


def approval_expires_at(run: StepRun):
    return run.created_at + timedelta(seconds=settings.APPROVAL_EXPIRES_AFTER)


def approvals_expire(*, now=None) -> int:
    """Cancel the approval requests nobody answered within APPROVAL_EXPIRES_AFTER.

    Run by the housekeeping timer; each expiry is a compare-and-set, so a request approved in
    the same instant is either approved or expired, never both.  The step may be requested
    again.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.APPROVAL_EXPIRES_AFTER)
    waiting = StepRun.objects.filter(status=Status.AWAITING_APPROVAL, created_at__lt=cutoff)
    return sum(_expire(run, now=now, cutoff=cutoff) for run in waiting)


def _expire(run: StepRun, *, now, cutoff) -> bool:
    with transaction.atomic():
        if not StepRun.transition(
            run.pk,
            source=Status.AWAITING_APPROVAL,
            to=Status.CANCELLED,
            match={"created_at__lt": cutoff},
            finished_at=now,
            detail=in_site_language(gettext_lazy("approval request expired")),
        ):
            return False
        run.refresh_from_db()
        timeline_add(
            incident=run.incident_id,
            kind=TimelineEntry.Kind.APPROVAL_EXPIRED,
            message=format_lazy(
                gettext_lazy(
                    "Approval request for “{step}” on {target} expired after {minutes} min "
                    "without an answer; request it again to run it"
                ),
                step=run.step_title,
                target=run.target,
                minutes=_minutes(settings.APPROVAL_EXPIRES_AFTER),
            ),
            run=run,
            data={"requested_by": getattr(run.created_by, "username", None)},
        )
        transaction.on_commit(lambda: broadcast_run_status(run))
    return True


def step_run_break_glass(*, run: StepRun, actor, reason: str, dispatch: bool = True) -> StepRun:
    """Run a step waiting for approval without a second commander: a lone commander at night.

    Needs the commander role and a typed reason of at least BREAK_GLASS_MIN_REASON characters.
    The run goes ahead exactly as it was requested (its digest is unchanged); everyone is told,
    and the timeline and the postmortem mark it as break-glass.
    """
    require(actor, COMMAND, _("breaking glass"))
    reason = (reason or "").strip()
    minimum = settings.BREAK_GLASS_MIN_REASON
    if len(reason) < minimum:
        why = ngettext(
            "say why no second commander can approve (at least %(minimum)d characters)",
            "say why no second commander can approve (at least %(minimum)d characters)",
            minimum,
        ) % {"minimum": minimum}
        raise InvalidInput(_("break-glass needs a reason"), fields={"reason": why})
    with transaction.atomic():
        if not StepRun.transition(
            run.pk,
            source=Status.AWAITING_APPROVAL,
            to=Status.QUEUED,
            match={"incident__status__in": Incident.ACTIVE_STATUSES},
            approved_by=actor,
        ):
            run.refresh_from_db()
            raise Conflict(
                _("the run is {status}, not awaiting approval").format(status=run.status_label)
            )
        run.refresh_from_db()
        timeline_add(
            incident=run.incident_id,
            kind=TimelineEntry.Kind.BREAK_GLASS,
            message=format_lazy(
                gettext_lazy(
                    "Break-glass: ran “{step}” on {target} without a second commander's "
                    "approval — {reason}"
                ),
                step=run.step_title,
                target=run.target,
                reason=reason,
            ),
            actor=actor,
            run=run,
            data={"reason": reason, "digest": run.digest, "step_id": run.step_id},
        )
        _announce_break_glass(run, actor, reason)
        transaction.on_commit(lambda: broadcast_run_status(run))
        if dispatch:
            transaction.on_commit(lambda: enqueue_run(run.pk, run.task_id))
    return run


def _announce_break_glass(run: StepRun, actor, reason: str) -> None:
    from incident_console.notifications.services import notify

    incident = run.incident
    everyone = ", ".join(user.username for user in commanders_other_than(actor))
    subject = format_lazy(
        gettext_lazy("[{severity}] #{incident} BREAK-GLASS: {step}"),
        severity=incident.severity.upper(),
        incident=incident.pk,
        step=run.step_title,
    )
    body = format_lazy(
        gettext_lazy(
            "{user} ran “{step}” on {target} without a second commander's approval.\n"
            "Reason: {reason}\n{command}\nCommanders: {commanders}\n{link}"
        ),
        user=actor.username,
        step=run.step_title,
        target=run.target,
        reason=reason,
        command=run.command_display,
        commanders=everyone or "—",
        link=incident_link(incident),
    )
    notify(
        incident=incident,
        subject=in_site_language(subject),
        body=in_site_language(body),
        reason="break_glass",
        actor=actor,
        what=in_site_language(
            format_lazy(gettext_lazy("Break-glass notice for “{step}”"), step=run.step_title)
        ),
    )


def approvals_pending(user) -> list[StepRun]:
    """Runs waiting for approval on incidents ``user`` may see, oldest first."""
    runs = StepRun.objects.filter(status=Status.AWAITING_APPROVAL).select_related(
        "incident", "created_by"
    )
    pending = list(runs_visible_to(user, runs).order_by("created_at", "pk"))
    for run in pending:
        run.expires_at = approval_expires_at(run)
    return pending
