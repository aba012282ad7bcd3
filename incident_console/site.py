"""The site the console runs (settings.SITE_DIR) and loading its seed data into the database.

The site's files are read through ``runbooks.site``; this module only adds Django: which site,
and writing its contacts, escalation levels and duty schedules into their tables.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from runbooks.site import Person, Site, site

PERSON_FIELDS = ("team", "name", "phone", "email", "slack", "telegram", "url", "notes")
DUTY_TASK = "maintenance.run"
DUTY_PREFIX = "maintenance: "


def current_site() -> Site:
    """The running site; raises runbooks.site.SiteError when its files do not validate."""
    return site(settings.SITE_DIR)


@dataclass
class LoadSummary:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)


def site_load(*, update: bool = False) -> LoadSummary:
    """Write the site's contacts, levels and duty schedules; safe to run any number of times.

    What exists is left as the admin edited it unless ``update`` is set; a schedule whose duty
    the site no longer has is disabled.
    """
    loaded = current_site()
    summary = LoadSummary()
    with transaction.atomic():
        _contacts(loaded, summary, update)
        _schedules(loaded, summary, update)
    return summary


def _contacts(loaded: Site, summary: LoadSummary, update: bool) -> None:
    from incident_console.incidents.models import Contact, EscalationLevel

    by_role = {}
    for person in loaded.contacts.people:
        contact = Contact.objects.filter(role=person.role).first()
        if contact is None:
            contact = Contact.objects.create(role=person.role, **_person_fields(person))
            summary.created.append(f"contact {person.role}")
        elif update:
            Contact.objects.filter(pk=contact.pk).update(**_person_fields(person))
            summary.updated.append(f"contact {person.role}")
        by_role[person.role] = contact
    for level in loaded.contacts.levels:
        fields = {
            "name": level.name,
            "after_minutes": level.after_minutes,
            "description": level.description,
        }
        entry = EscalationLevel.objects.filter(level=level.level).first()
        if entry is None:
            entry = EscalationLevel.objects.create(level=level.level, **fields)
            summary.created.append(f"level {level.level}")
        elif update:
            EscalationLevel.objects.filter(pk=entry.pk).update(**fields)
            summary.updated.append(f"level {level.level}")
        else:
            continue
        entry.contacts.set([by_role[role] for role in level.contacts if role in by_role])


def _person_fields(person: Person) -> dict[str, str]:
    return {name: getattr(person, name) for name in PERSON_FIELDS}


def _schedules(loaded: Site, summary: LoadSummary, update: bool) -> None:
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    names = []
    for task, duty in loaded.maintenance.duties.items():
        if duty.schedule is None:
            continue
        crontab, _ = CrontabSchedule.objects.get_or_create(
            **duty.schedule.model_dump(), timezone="UTC"
        )
        name = f"{DUTY_PREFIX}{task}"
        names.append(name)
        fields = {
            "task": DUTY_TASK,
            "crontab": crontab,
            "args": json.dumps([task]),
            "description": duty.description,
        }
        periodic, created = PeriodicTask.objects.get_or_create(name=name, defaults=fields)
        if created:
            summary.created.append(f"schedule {task}")
        elif update:
            for key, value in fields.items():
                setattr(periodic, key, value)
            periodic.enabled = True
            periodic.save()
            summary.updated.append(f"schedule {task}")
    gone = PeriodicTask.objects.filter(task=DUTY_TASK, enabled=True).exclude(name__in=names)
    for periodic in gone:
        # save(), not update(): django-celery-beat notices a changed schedule through it.
        periodic.enabled = False
        periodic.save()
        summary.disabled.append(f"schedule {periodic.name.removeprefix(DUTY_PREFIX)}")
