"""The SLA page's chart reads without hovering, and the monthly review prints clean."""

import pytest
from playwright.sync_api import expect

from tests.servers import manage

pytestmark = pytest.mark.e2e

RESOLVED_IN_MARCH = (
    "from datetime import datetime, timedelta, UTC; "
    "from django.contrib.auth import get_user_model as g; "
    "from incident_console.incidents.models import Incident; "
    "from incident_console.incidents.services import incident_open; "
    "i = incident_open(scenario_slug='test-drill', title='march outage', severity='sev2', "
    "actor=g().objects.get(username='oncall')); "
    "t = datetime(2025, 3, 10, 8, 0, tzinfo=UTC); "
    "Incident.objects.filter(pk=i.pk).update(opened_at=t, "
    "acknowledged_at=t + timedelta(minutes=12), resolved_at=t + timedelta(hours=3), "
    "status='resolved')"
)


@pytest.fixture(scope="module")
def march_outage(console):
    manage(console["env"], "shell", "-c", RESOLVED_IN_MARCH)


def test_the_sla_chart_shows_its_axes_and_every_bar_value(new_page, march_outage):
    page = new_page()
    page.goto("/sla/")
    chart = page.locator("svg.sla-chart")
    expect(chart.locator("text.axis-title", has_text="MTTR (hours)")).to_be_visible()
    expect(chart.locator("text.axis-title", has_text="Month opened")).to_be_visible()
    expect(chart.locator("text.month", has_text="2025-03")).to_be_visible()
    expect(chart.locator("text.value", has_text="3 h").first).to_be_visible()
    assert chart.locator("text.tick").count() >= 5
    expect(chart.locator("text.tick").first).to_have_text("0")
    expect(chart.locator("text.target-label")).to_have_text("target 2 h")
    expect(page.get_by_role("heading", name="RPO per data-loss incident")).to_be_visible()
    assert page.errors == []


def test_the_monthly_review_picks_a_month_and_prints_without_the_console_around_it(
    new_page, march_outage
):
    page = new_page()
    page.goto("/sla/")
    page.click("text=Monthly SLA review")
    page.fill("input[name=month]", "2025-03")
    page.click(".review-controls button[type=submit]")
    expect(page.get_by_role("heading", name="Monthly SLA review: March 2025")).to_be_visible()
    row = page.locator("tr", has_text="march outage")
    expect(row).to_contain_text("12.0")
    expect(row).to_contain_text("3.0")
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.locator(".review-controls")).to_be_hidden()
    expect(page.locator("tr", has_text="march outage")).to_be_visible()
    expect(page.locator(".signoff")).to_contain_text("Reviewed by")
    assert page.errors == []
