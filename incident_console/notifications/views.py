"""The contacts page (everyone reads, commanders edit) and Retry of undelivered notifications."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from incident_console.accounts.roles import COMMAND
from incident_console.errors import Forbidden
from incident_console.incidents.models import Contact
from incident_console.incidents.selectors import incidents_visible_to
from incident_console.notifications.channels import channel_states
from incident_console.notifications.forms import ContactForm
from incident_console.notifications.selectors import escalation_levels
from incident_console.notifications.services import contact_update, notifications_retry


@login_required
def contacts_page(request):
    """The escalation levels in order, who is on each, and how to reach every contact."""
    context = {
        "levels": escalation_levels(),
        "contacts": Contact.objects.all(),
        "may_edit": request.user.has_perm(COMMAND),
        "channels": channel_states(),
    }
    return render(request, "notifications/contacts.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request, pk: int):
    contact = get_object_or_404(Contact, pk=pk)
    if not request.user.has_perm(COMMAND):
        return _refused(request, contact)
    form = ContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        contact_update(contact=contact, changes=changes, actor=request.user)
        messages.success(request, gettext("%(role)s: saved") % {"role": contact.role})
        return redirect("contacts")
    status = 400 if request.method == "POST" else 200
    context = {"contact": contact, "form": form}
    return render(request, "notifications/contact_edit.html", context, status=status)


def _refused(request, contact: Contact):
    context = {"contact": contact, "error": gettext("Editing contacts needs the commander role.")}
    return render(request, "notifications/contact_edit.html", context, status=403)


@login_required
@require_POST
def undelivered_retry(request, pk: int):
    """Retry an incident's undelivered notifications, then go back to the page it came from."""
    incident = get_object_or_404(incidents_visible_to(request.user), pk=pk)
    try:
        retried = notifications_retry(incident=incident, actor=request.user)
    except Forbidden as error:
        messages.error(request, error.message)
    else:
        count = len(retried)
        messages.success(
            request,
            ngettext(
                "Retrying %(count)d notification(s)", "Retrying %(count)d notification(s)", count
            )
            % {"count": count},
        )
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect(incident)
