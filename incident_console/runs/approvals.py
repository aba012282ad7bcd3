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

from incident_console.accounts.roles import COMMAND, require
from incident_console.errors import Conflict, InvalidInput
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
    """Tell every other commander, on the configured channels, that ``run`` waits for them."""
    from incident_console.notifications.services import notify

    incident = run.incident
    others = ", ".join(user.username for user in commanders_other_than(actor)) or "nobody else"
    notify(
        incident=incident,
        subject=f"[{incident.severity.upper()}] #{incident.pk} approval needed: {run.step_title}",
        body=(
            f"{actor.username} asks a second commander ({others}) to approve "
            f"“{run.step_title}” on {run.target}:\n{run.command_display}\n"
            f"Expires in {_minutes(settings.APPROVAL_EXPIRES_AFTER)} min. "
            f"{incident_link(incident)}"
        ),
        reason="approval_requested",
        actor=actor,
        what=f"Approval request for “{run.step_title}”",
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
            detail="approval request expired",
        ):
            return False
        run.refresh_from_db()
        timeline_add(
            incident=run.incident_id,
            kind=TimelineEntry.Kind.APPROVAL_EXPIRED,
            message=(
                f"Approval request for “{run.step_title}” on {run.target} expired after "
                f"{_minutes(settings.APPROVAL_EXPIRES_AFTER)} min without an answer; "
                "request it again to run it"
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
    require(actor, COMMAND, "breaking glass")
    reason = (reason or "").strip()
    minimum = settings.BREAK_GLASS_MIN_REASON
    if len(reason) < minimum:
        raise InvalidInput(
            "break-glass needs a reason",
            fields={
                "reason": f"say why no second commander can approve (at least {minimum} characters)"
            },
        )
    with transaction.atomic():
        if not StepRun.transition(
            run.pk,
            source=Status.AWAITING_APPROVAL,
            to=Status.QUEUED,
            match={"incident__status__in": Incident.ACTIVE_STATUSES},
            approved_by=actor,
        ):
            run.refresh_from_db()
            raise Conflict(f"the run is {run.status}, not awaiting approval")
        run.refresh_from_db()
        timeline_add(
            incident=run.incident_id,
            kind=TimelineEntry.Kind.BREAK_GLASS,
            message=(
                f"Break-glass: ran “{run.step_title}” on {run.target} without a second "
                f"commander's approval — {reason}"
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
    notify(
        incident=incident,
        subject=f"[{incident.severity.upper()}] #{incident.pk} BREAK-GLASS: {run.step_title}",
        body=(
            f"{actor.username} ran “{run.step_title}” on {run.target} without a second "
            f"commander's approval.\nReason: {reason}\n{run.command_display}\n"
            f"Commanders: {everyone or '—'}\n{incident_link(incident)}"
        ),
        reason="break_glass",
        actor=actor,
        what=f"Break-glass notice for “{run.step_title}”",
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
