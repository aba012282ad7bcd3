"""The on-call page: who is on call now and next; commanders add overrides."""

from __future__ import annotations

import pytest
from django.utils import timezone

from incident_console.incidents.models import Contact
from incident_console.oncall.models import RotationOverride

pytestmark = pytest.mark.django_db


def test_it_shows_the_primary_and_secondary_now_and_the_next_turn(oncall_site, client, viewer):
    client.force_login(viewer)
    page = client.get("/oncall/").content.decode()
    assert '<dd data-role="primary">Lead DevOps' in page
    assert '<dd data-role="secondary">Backup DevOps' in page
    assert '<dd data-role="next">Backup DevOps / Lead DevOps</dd>' in page


def test_a_commanders_override_puts_someone_on_duty_today(oncall_site, client, user):
    client.force_login(user)
    today = timezone.localdate().isoformat()
    tech_lead = Contact.objects.get(role="Tech Lead")
    form = {"level": 1, "contact": tech_lead.pk, "duty": "primary"}
    client.post("/oncall/overrides/", {**form, "first_day": today, "last_day": today})
    page = client.get("/oncall/").content.decode()
    assert '<dd data-role="primary">Tech Lead <span class="hint">covers for Lead DevOps' in page
    assert RotationOverride.objects.get().created_by == user


def test_an_override_ending_before_it_starts_is_refused_and_nothing_saved(
    oncall_site, client, user
):
    client.force_login(user)
    tech_lead = Contact.objects.get(role="Tech Lead")
    form = {"level": 1, "contact": tech_lead.pk, "duty": "primary"}
    answer = client.post(
        "/oncall/overrides/",
        {**form, "first_day": "2025-02-03", "last_day": "2025-02-01"},
        follow=True,
    )
    assert "The last day comes before the first." in answer.content.decode()
    assert not RotationOverride.objects.exists()


def test_a_responder_cannot_change_the_rotation(oncall_site, client, responder):
    client.force_login(responder)
    tech_lead = Contact.objects.get(role="Tech Lead")
    day = timezone.localdate().isoformat()
    form = {"level": 1, "contact": tech_lead.pk, "duty": "primary"}
    answer = client.post(
        "/oncall/overrides/", {**form, "first_day": day, "last_day": day}, follow=True
    )
    assert "Changing the rotation needs the commander role." in answer.content.decode()
    assert not RotationOverride.objects.exists()
