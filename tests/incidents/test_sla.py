"""What the SLA page and the monthly review count: real incidents only (drills, procedures and
maintenance duties apart), MTTA and MTTR per severity, RPO per data-loss incident, a chart
with axes and values."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from incident_console.accounts.roles import system_user
from incident_console.incidents.models import Incident
from incident_console.incidents.sla import sla_report
from incident_console.incidents.sla_chart import mttr_chart

pytestmark = pytest.mark.django_db


def timed(incident, *, opened, acknowledged_min=None, recovered_h=None, **changes):
    if acknowledged_min is not None:
        changes["acknowledged_at"] = opened + timedelta(minutes=acknowledged_min)
    if recovered_h is not None:
        changes.update(status="resolved", resolved_at=opened + timedelta(hours=recovered_h))
    Incident.objects.filter(pk=incident.pk).update(opened_at=opened, **changes)
    incident.refresh_from_db()
    return incident


def listed_backup(make_run, incident, at):
    return make_run(
        incident,
        step_id="list-backups",
        executor="s3",
        outputs={"latest_key": "postgres/full/x.sql.gz", "latest_modified": at.isoformat()},
    )


def report():
    return sla_report(Incident.objects.select_related("scenario", "opened_by"))


@pytest.fixture
def opened():
    return timezone.now() - timedelta(days=2)


def test_mtta_and_mttr_per_severity_count_real_incidents_only(make_incident, opened):
    timed(
        make_incident("disk-full", severity="sev2"),
        opened=opened,
        acknowledged_min=4,
        recovered_h=1,
    )
    timed(
        make_incident("disk-full", severity="sev2"),
        opened=opened,
        acknowledged_min=10,
        recovered_h=3,
    )
    timed(
        make_incident("api-down", severity="sev1"),
        opened=opened,
        acknowledged_min=2,
        recovered_h=0.5,
    )
    timed(make_incident("test-restore"), opened=opened, acknowledged_min=60, recovered_h=9)
    timed(make_incident("api-down"), opened=opened, recovered_h=9, is_drill=True)
    duty = make_incident("disk-full", actor=system_user("maintenance", "commander"))
    timed(duty, opened=opened, recovered_h=9, is_drill=True)
    figures = report()
    assert figures["by_severity"] == [
        {
            "severity": "sev1",
            "label": "SEV1 — critical",
            "incidents": 1,
            "mtta_minutes": 2.0,
            "mttr_hours": 0.5,
        },
        {
            "severity": "sev2",
            "label": "SEV2 — major",
            "incidents": 2,
            "mtta_minutes": 7.0,
            "mttr_hours": 2.0,
        },
    ]
    assert (figures["incidents"], figures["mttr_hours"]) == (3, 1.5)
    assert figures["time_to_acknowledge_minutes"] == 5.3
    assert figures["rto_breaches"] == []
    assert figures["apart"] == [
        {"kind": "drill", "title": "Drills", "incidents": 1, "mttr_hours": 9.0},
        {"kind": "procedure", "title": "Procedures", "incidents": 1, "mttr_hours": 9.0},
        {"kind": "maintenance", "title": "Maintenance duties", "incidents": 1, "mttr_hours": 9.0},
    ]


def test_rpo_is_the_age_of_the_last_good_backup_when_a_data_loss_incident_began(
    make_incident, make_run, opened
):
    critical = timed(make_incident("data-loss", title="orders lost"), opened=opened)
    listed_backup(make_run, critical, opened - timedelta(minutes=30))
    media = timed(make_incident("s3-data-loss", title="media lost"), opened=opened)
    listed_backup(make_run, media, opened - timedelta(hours=30))
    listed_backup(make_run, media, opened + timedelta(hours=1))  # taken after: not the one
    timed(make_incident("data-loss", title="nothing listed"), opened=opened)
    timed(make_incident("disk-full", title="no data lost"), opened=opened)
    points = {point.incident.title: point for point in report()["recovery_points"]}
    assert set(points) == {"orders lost", "media lost", "nothing listed"}
    assert (points["orders lost"].age_hours, points["orders lost"].objective_hours) == (0.5, 1.0)
    assert points["orders lost"].met is True
    assert (points["media lost"].age_hours, points["media lost"].objective_hours) == (30.0, 24.0)
    assert points["media lost"].met is False
    assert points["nothing listed"].backup_at is None and points["nothing listed"].met is None


def test_the_chart_ticks_round_numbers_of_hours():
    ticks = [
        mttr_chart([{"month": "m", "mttr_hours": h, "incidents": 1}], 0.1)["ticks"]
        for h in (0.7, 1.5, 12)
    ]
    assert [[tick["value"] for tick in axis] for axis in ticks] == [
        ["0", "0.2", "0.4", "0.6", "0.8", "1"],
        ["0", "0.5", "1", "1.5", "2"],
        ["0", "5", "10", "15", "20"],
    ]


def test_the_chart_has_round_axis_ticks_values_and_the_target():
    chart = mttr_chart(
        [
            {"month": "2026-10", "mttr_hours": 3.5, "incidents": 2},
            {"month": "2026-11", "mttr_hours": 1.25, "incidents": 1},
        ],
        2.0,
    )
    assert [tick["value"] for tick in chart["ticks"]] == ["0", "1", "2", "3", "4", "5"]
    assert [(bar["label"], bar["value"], bar["over"]) for bar in chart["bars"]] == [
        ("2026-10", "3.5", True),
        ("2026-11", "1.25", False),
    ]
    assert chart["bars"][0]["y"] < chart["target_y"] < chart["bars"][1]["y"] < chart["baseline"]


@pytest.fixture
def browser(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_sla_page_labels_the_chart_axes_and_shows_rpo(browser, make_incident, make_run):
    opened = timezone.now() - timedelta(hours=10)
    timed(make_incident("disk-full"), opened=opened, recovered_h=3)
    lost = timed(make_incident("data-loss", title="orders lost"), opened=opened)
    listed_backup(make_run, lost, opened - timedelta(hours=2))
    page = browser.get("/sla/").content.decode()
    assert "MTTR (hours)" in page and "Month opened" in page
    assert re.search(r'class="value"[^>]*>3 h</text>', page)
    assert "target 2 h" in page
    assert "orders lost" in page and '<span class="badge danger">missed</span>' in page
    assert "Not counted: drills, procedures and maintenance" in page


def test_the_monthly_review_shows_one_month_and_says_what_a_month_looks_like(
    browser, make_incident
):
    october = datetime(2026, 10, 12, 9, 0, tzinfo=UTC)
    timed(
        make_incident("disk-full", title="october disk"),
        opened=october,
        acknowledged_min=6,
        recovered_h=5,
    )
    timed(make_incident("api-down", title="november api"), opened=october + timedelta(days=30))
    response = browser.get("/sla/review/?month=2026-10")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Monthly SLA review: October 2026" in page
    assert "october disk" in page and "november api" not in page
    assert "<strong>missed</strong>" in page, "5 h broke the 4 h RTO"
    bad = browser.get("/sla/review/?month=October")
    assert bad.status_code == 400
    assert re.search(r"month: must be a month like \d{4}-\d{2}", bad.content.decode())
