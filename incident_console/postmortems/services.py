"""Writing a postmortem and its action items: responders and commanders, on incidents they see."""

from __future__ import annotations

from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext

from incident_console.accounts.roles import RESPOND, require
from incident_console.errors import InvalidInput, NotFound
from incident_console.incidents.models import Incident
from incident_console.postmortems.models import ActionItem, Postmortem


def postmortem_of(incident: Incident) -> Postmortem:
    """The incident's postmortem, created empty the first time anyone reads it."""
    postmortem, _ = Postmortem.objects.get_or_create(incident=incident)
    return postmortem


def postmortem_update(*, incident: Incident, actor, sections: dict[str, str]) -> Postmortem:
    """Save the written sections given (others keep their text)."""
    require(actor, RESPOND, "Writing the postmortem")
    unknown = set(sections) - set(Postmortem.WRITTEN_SECTIONS)
    if unknown:
        raise InvalidInput(
            gettext("unknown section: %(names)s") % {"names": ", ".join(sorted(unknown))}
        )
    with transaction.atomic():
        postmortem = postmortem_of(incident)
        for name, text in sections.items():
            setattr(postmortem, name, text.strip())
        postmortem.updated_by = actor
        postmortem.save(update_fields=[*sections, "updated_by", "updated_at"])
    return postmortem


def action_item_add(
    *, incident: Incident, actor, text: str, owner_username: str, due: date | None
) -> ActionItem:
    """Add an action item owned by a person, with a due date."""
    require(actor, RESPOND, "Adding an action item")
    if not text.strip():
        raise InvalidInput(gettext("say what is to be done"), fields={"text": gettext("is empty")})
    owner = _user_named(owner_username) if owner_username else None
    return ActionItem.objects.create(
        postmortem=postmortem_of(incident),
        text=text.strip(),
        owner=owner,
        due=due,
        created_by=actor,
    )


def action_item_set_done(*, item: ActionItem, actor, done: bool) -> ActionItem:
    require(actor, RESPOND, "Ticking off an action item")
    item.done = done
    item.save(update_fields=["done"])
    return item


def _user_named(username: str):
    try:
        return get_user_model().objects.get(username=username, is_active=True)
    except get_user_model().DoesNotExist:
        raise NotFound(
            gettext("nobody is called %(name)r") % {"name": username},
            fields={"owner": gettext("is not a user")},
        ) from None
