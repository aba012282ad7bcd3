"""Telling the customer: a customer_notice step drafts a message from the site's template, a
commander edits it, and it is emailed to the site's customer contact, exactly as recorded."""

from __future__ import annotations

import smtplib
from dataclasses import asdict, dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template import Context, Engine
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from incident_console.accounts.roles import COMMAND, require
from incident_console.errors import Forbidden, InvalidInput, NotSent, ServiceError
from incident_console.i18n import in_site_language, site_time
from incident_console.incidents.models import Contact, Incident, TimelineEntry
from incident_console.incidents.sla import data_window
from incident_console.runs.broadcast import broadcast_run_status
from incident_console.runs.models import OutputChunk, StepRun
from incident_console.runs.output import lines_to_chunks
from incident_console.runs.rendering import RenderedStep
from incident_console.runs.services import _create_run, _runnable_step
from incident_console.site import current_site
from runbooks.schema import Step
from runbooks.text import language_code

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
_TEXT = Engine(autoescape=False)
# Written to the customer, so in the site's language whoever drafts it.
UNKNOWN_IMPACT = gettext_lazy("we are still establishing who and what is affected.")


@dataclass(frozen=True)
class NoticeDraft:
    to: str
    subject: str
    body: str
    problem: str = ""  # why it cannot be sent now; "" when it can


def customer_email() -> tuple[str, str]:
    """The customer contact's email, or "" and what to fill in where."""
    role = current_site().contacts.customer
    if not role:
        return "", _("the site names no customer contact (contacts.yaml: customer)")
    contact = Contact.objects.filter(role__iexact=role).first()
    if contact is None or not contact.email:
        return "", _(
            "no customer email is configured: fill in the email of the “{role}” contact"
        ).format(role=role)
    if settings.EMAIL_BACKEND == SMTP_BACKEND and not settings.EMAIL_HOST:
        return contact.email, _("the console cannot send email: EMAIL_HOST is not set")
    return contact.email, ""


def customer_notice_draft(*, incident: Incident, step_id: str) -> NoticeDraft:
    """The message the step's template makes of what the console knows about the incident."""
    step = _notice_step(incident, step_id)
    to, problem = customer_email()
    subject, body = _render(incident, step)
    return NoticeDraft(to=to, subject=subject, body=body, problem=problem)


def notice_card(incident: Incident, step: dict, user) -> dict | None:
    """What a customer_notice step's card shows: the draft, and whether ``user`` may send it."""
    if step["executor"] != "customer_notice":
        return None
    try:
        draft = customer_notice_draft(incident=incident, step_id=step["id"])
    except ServiceError as error:
        return {"problem": error.message, "may_send": False}
    allowed = _may_command(user)
    return {**asdict(draft), "may_send": allowed and not draft.problem, "commander": allowed}


def _may_command(user) -> bool:
    try:
        require(user, COMMAND, _("sending a notice to the customer"))
    except Forbidden:
        return False
    return True


def _notice_step(incident: Incident, step_id: str) -> Step:
    step = _runnable_step(incident, step_id)
    if step.executor != "customer_notice":
        raise InvalidInput(_("this step does not send a customer notice"))
    return step


def _render(incident: Incident, step: Step) -> tuple[str, str]:
    name = step.args["template"]
    text = current_site().notice_template(name, language_code(settings.LANGUAGE_CODE))
    if text is None:
        raise InvalidInput(
            _("the site has no customer notice template {name} (notices/)").format(name=repr(name))
        )
    minutes = step.args.get("next_update_minutes", 60)
    context = Context(
        {
            "incident": incident,
            "what_happened": incident.title,
            "opened_at": site_time(incident.opened_at),
            "impact": incident.impact or in_site_language(UNKNOWN_IMPACT),
            "data_window": data_window(incident),
            "next_update": site_time(timezone.now() + timedelta(minutes=minutes)),
        }
    )
    rendered = _TEXT.from_string(text).render(context)
    head, _blank, body = rendered.partition("\n\n")
    return head.removeprefix("Subject:").strip(), body.strip() + "\n"


def customer_notice_send(
    *, incident: Incident, step_id: str, actor, subject: str, body: str
) -> StepRun:
    """Email the notice as the commander wrote it to the customer contact; record on the
    timeline exactly what was sent (to, subject, body) and mark the step done.

    With no customer email (or no way to send email) nothing is sent or recorded.  A send that
    fails is recorded as a failed run of the step, and raised as NotSent.
    """
    require(actor, COMMAND, _("sending a notice to the customer"))
    step = _notice_step(incident, step_id)
    subject, body = _valid_message(subject, body)
    to, problem = customer_email()
    if problem:
        raise InvalidInput(problem)
    sent = {"to": to, "subject": subject, "body": body}
    # Sent first, then recorded: the timeline says what left, never what was meant to.
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False)
    except (OSError, smtplib.SMTPException) as error:
        why = f"{type(error).__name__}: {error}"
        _record(incident=incident, step=step, actor=actor, message=sent, error=why)
        raise NotSent(
            _("the notice to {to} was not sent: {error}").format(to=to, error=error)
        ) from None
    return _record(incident=incident, step=step, actor=actor, message=sent)


def _valid_message(subject: str, body: str) -> tuple[str, str]:
    subject, body = (subject or "").strip(), (body or "").strip()
    fields = {}
    if not subject or "\n" in subject or "\r" in subject:
        fields["subject"] = _("one line of text is required")
    if not body:
        fields["body"] = _("is required")
    if fields:
        raise InvalidInput(_("the notice needs a subject and a message"), fields=fields)
    return subject, body + "\n"


def _record(*, incident, step, actor, message: dict[str, str], error: str = "") -> StepRun:
    """The step's run and timeline entry: exactly what was sent, or that it was not."""
    to, subject, body = message["to"], message["subject"], message["body"]
    text = f"To: {to}\nSubject: {subject}\n\n{body}"
    said = (
        format_lazy(
            gettext_lazy("Customer notice NOT sent to {to} ({error}): “{subject}”"),
            to=to,
            error=error,
            subject=subject,
        )
        if error
        else format_lazy(
            gettext_lazy("Customer notice sent to {to}\nSubject: {subject}\n\n{body}"),
            to=to,
            subject=subject,
            body=body,
        )
    )
    failed = format_lazy(gettext_lazy("not sent: {error}"), error=error)
    lines = [("stdout", text)] + ([("stderr", f"{in_site_language(failed)}\n")] if error else [])
    display = format_lazy(gettext_lazy("email to {to}: {subject}"), to=to, subject=subject)
    chunks = lines_to_chunks(lines, 1)
    now = timezone.now()
    with transaction.atomic():
        run = _create_run(
            incident=incident,
            step=step,
            actor=actor,
            rendered=RenderedStep(step, {}, message, in_site_language(display), 1, {}, ""),
            timeline={
                "kind": TimelineEntry.Kind.NOTIFICATION,
                "message": said,
                "data": {
                    **message,
                    "step_id": step.id,
                    "channel": "email",
                    "status": "failed" if error else "sent",
                },
            },
            status=StepRun.Status.FAILED if error else StepRun.Status.SUCCEEDED,
            detail=error,
            started_at=now,
            finished_at=now,
            last_seq=len(chunks),
            output_bytes=sum(len(c["text"].encode()) for c in chunks),
        )
        OutputChunk.objects.bulk_create(OutputChunk(run=run, **chunk) for chunk in chunks)
    broadcast_run_status(run)
    return run
