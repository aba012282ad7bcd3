"""Three roles, as Django groups: viewer reads, responder acts, commander decides.

viewer     reads everything
responder  + opens incidents, runs non-destructive steps, marks manual steps, cancels, notes
commander  + runs destructive steps, approves runs, changes an incident's status
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from incident_console.errors import Forbidden

RESPOND = "incidents.respond"
COMMAND = "incidents.command"
ROLES = {"viewer": [], "responder": [RESPOND], "commander": [RESPOND, COMMAND]}


def roles_ensure() -> dict[str, Group]:
    """Create the three groups with their permissions (idempotent)."""
    groups = {}
    for role, permissions in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        codenames = [name.split(".", 1)[1] for name in permissions]
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="incidents", codename__in=codenames)
        )
        groups[role] = group
    return groups


def role_assign(user, role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    groups = roles_ensure()
    user.groups.remove(*groups.values())
    user.groups.add(groups[role])


def role_of(user) -> str:
    if user.has_perm(COMMAND):
        return "commander"
    if user.has_perm(RESPOND):
        return "responder"
    return "viewer"


def require(user, permission: str, what: str) -> None:
    if user is None or not user.is_authenticated or not user.has_perm(permission):
        role = (
            pgettext("role", "commander")
            if permission == COMMAND
            else pgettext("role", "responder")
        )
        raise Forbidden(_("{what} needs the {role} role").format(what=what, role=role))


def system_user(username: str, role: str):
    """The console's own actor for what no person did (alert intake, scheduled duties)."""
    from django.contrib.auth import get_user_model

    user, created = get_user_model().objects.get_or_create(username=username)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        role_assign(user, role)
    return user
