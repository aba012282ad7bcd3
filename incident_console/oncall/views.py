"""The on-call page, the acknowledgement link's page, and Slack's button requests."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from incident_console.accounts.roles import COMMAND
from incident_console.errors import ServiceError
from incident_console.incidents.models import Contact, EscalationLevel
from incident_console.oncall.acknowledge import ack_token_find, page_acknowledge
from incident_console.oncall.forms import OverrideForm
from incident_console.oncall.links import AckRefused, ack_token_read
from incident_console.oncall.models import Page, RotationOverride
from incident_console.oncall.paging import page_reroute, page_silence, step_who
from incident_console.oncall.rotations import on_call_by_level
from incident_console.oncall.services import override_add, override_remove
from incident_console.oncall.slack import slack_action, slack_request_verified


@require_http_methods(["GET", "POST"])
def ack_confirm(request, token: str):
    """GET shows what is acknowledged and a button (a link preview must not acknowledge);
    POST acknowledges.  The signed link is the credential: no login needed."""
    try:
        nonce, channel = ack_token_read(token)
        found = ack_token_find(nonce)
    except AckRefused as refused:
        return _ack_page(request, error=refused.message, status=410)
    page, entry = found.page, found.page.chain[found.step]
    if request.method == "GET":
        return _ack_page(request, page=page, who=step_who(entry, _contacts(entry)))
    who = request.user.username if request.user.is_authenticated else _names(entry)
    user = request.user if request.user.is_authenticated else None
    via = f"link-{channel}" if channel else "link"
    try:
        page = page_acknowledge(nonce=nonce, via=via, who=who, user=user)
    except AckRefused as refused:
        return _ack_page(request, error=refused.message, status=409)
    return _ack_page(request, page=page, done=True)


def _ack_page(request, *, status: int = 200, **context):
    return render(request, "oncall/ack.html", context, status=status)


def _contacts(entry: dict) -> list[Contact]:
    return list(Contact.objects.filter(role__in=entry["roles"]).order_by("role"))


def _names(entry: dict) -> str:
    contacts = _contacts(entry)
    return ", ".join(c.role + (f" ({c.name})" if c.name else "") for c in contacts)


@login_required
def oncall_page(request):
    """Who is on call now and next per level, the overrides, and the pages with their receipts."""
    levels = list(EscalationLevel.objects.order_by("level").values_list("level", flat=True))
    may_edit = request.user.has_perm(COMMAND)
    context = {
        "on_call": on_call_by_level(),
        "overrides": RotationOverride.objects.select_related("contact"),
        "form": OverrideForm(levels=levels) if may_edit else None,
        "may_edit": may_edit,
        "pages": _recent_pages(),
        "contacts": Contact.objects.order_by("role"),
    }
    return render(request, "oncall/oncall.html", context)


def _recent_pages() -> list[dict]:
    from incident_console.notifications.models import Notification

    pages = Page.objects.select_related("incident")[:20]
    found = []
    for page in pages:
        nonces = list(page.tokens.values_list("nonce", flat=True))
        sent = Notification.objects.filter(ack_nonce__in=nonces).order_by("created_at", "pk")
        found.append(
            {"page": page, "notifications": sent, "who": _names(page.current or {"roles": []})}
        )
    return found


@login_required
@require_POST
def override_create(request):
    levels = list(EscalationLevel.objects.order_by("level").values_list("level", flat=True))
    form = OverrideForm(request.POST, levels=levels)
    if not request.user.has_perm(COMMAND):
        messages.error(request, gettext("Changing the rotation needs the commander role."))
    elif form.is_valid():
        override_add(fields=form.cleaned_data, actor=request.user)
        messages.success(request, gettext("Override saved"))
    else:
        errors = "; ".join(
            f"{form.fields[name].label}: {' '.join(e)}"
            for name, e in form.errors.items()
            if name in form.fields
        )
        messages.error(request, gettext("Nothing was saved: %(errors)s") % {"errors": errors})
    return redirect("oncall")


@login_required
@require_POST
def override_delete(request, pk: int):
    override = get_object_or_404(RotationOverride, pk=pk)
    try:
        override_remove(override=override, actor=request.user)
    except ServiceError as error:
        messages.error(request, error.message)
    return redirect("oncall")


@login_required
@require_POST
def page_silence_view(request, pk: int):
    page = get_object_or_404(Page, pk=pk)
    try:
        page_silence(page=page, actor=request.user)
    except ServiceError as error:
        messages.error(request, str(error.message))
    return redirect("oncall")


@login_required
@require_POST
def page_reroute_view(request, pk: int):
    page = get_object_or_404(Page, pk=pk)
    contact = Contact.objects.filter(pk=request.POST.get("contact") or 0).first()
    if contact is None:
        messages.error(request, gettext("Choose whom to page."))
        return redirect("oncall")
    try:
        page_reroute(page=page, contact=contact, actor=request.user)
    except ServiceError as error:
        messages.error(request, str(error.message))
    return redirect("oncall")


@csrf_exempt
@require_POST
def slack_actions(request):
    """Slack's interactivity Request URL: signed by the app, never by a session."""
    verified = slack_request_verified(
        body=request.body,
        timestamp=request.headers.get("X-Slack-Request-Timestamp", ""),
        signature=request.headers.get("X-Slack-Signature", ""),
    )
    if not verified:
        return HttpResponse(status=401)
    text = slack_action(request.POST.get("payload", ""))
    return JsonResponse({"response_type": "ephemeral", "replace_original": False, "text": text})
