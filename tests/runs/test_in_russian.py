"""Runs in Russian: an API refusal answers in the request's language, in words, and changes
nothing; what runs write down (timeline, run detail, notifications) is in the site's language,
whoever's browser asked."""

from __future__ import annotations

import pytest

from incident_console.incidents.models import TimelineEntry
from incident_console.notifications.models import Notification
from incident_console.runs.models import StepRun

pytestmark = pytest.mark.django_db

RU = {"HTTP_ACCEPT_LANGUAGE": "ru"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def run_url(incident, step_id: str) -> str:
    return f"/api/incidents/{incident.pk}/steps/{step_id}/run/"


def digest_of(client, incident, step_id: str) -> str:
    url = f"/api/incidents/{incident.pk}/steps/{step_id}/preview/"
    return client.post(url, {"params": {}}, format="json").json()["digest"]


def test_a_wrong_confirmation_is_refused_in_russian_and_starts_nothing(api_client, incident):
    digest = digest_of(api_client, incident, "wipe")
    response = api_client.post(
        run_url(incident, "wipe"), {"confirm": "prod", "digest": digest}, format="json", **RU
    )
    assert response.status_code == 400
    assert response.json()["error"] == "confirmation_required"
    assert response.json()["detail"] == (
        "этот шаг изменяет local: для подтверждения введите имя цели"
    )
    assert not StepRun.objects.exists()


def test_a_wrong_confirmation_is_refused_in_english_when_english_is_asked(api_client, incident):
    digest = digest_of(api_client, incident, "wipe")
    response = api_client.post(
        run_url(incident, "wipe"), {"confirm": "prod", "digest": digest}, format="json", **EN
    )
    assert response.json()["detail"] == (
        "this step changes local: type the target's name to confirm"
    )
    assert not StepRun.objects.exists()


def test_a_role_refusal_names_the_role_in_russian(make_api_client, viewer, incident):
    response = make_api_client(viewer).post(run_url(incident, "count"), {}, format="json", **RU)
    assert response.status_code == 403
    assert response.json()["detail"] == "запуск шага: нужна роль «дежурный»"
    assert not StepRun.objects.exists()


def test_a_second_run_of_a_running_step_is_refused_in_russian(api_client, incident):
    assert api_client.post(run_url(incident, "count"), {}, format="json").status_code == 202
    again = api_client.post(run_url(incident, "count"), {}, format="json", **RU)
    assert again.status_code == 409
    assert again.json()["detail"] == "этот шаг уже в очереди или выполняется"
    assert StepRun.objects.count() == 1


def test_parameter_errors_come_back_in_russian(api_client, incident):
    response = api_client.post(
        run_url(incident, "count"), {"params": {"colour": "red"}}, format="json", **RU
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "неверные параметры"
    assert response.json()["fields"] == {"colour": "у этого шага нет такого параметра"}
    assert not StepRun.objects.exists()


def test_the_requester_cannot_approve_their_own_run_in_russian(api_client, make_incident):
    incident = make_incident("approval-drill")
    url = f"/api/incidents/{incident.pk}/steps/guarded/run/"
    run_id = api_client.post(url, {}, format="json").json()["run"]
    digest = api_client.get(f"/api/runs/{run_id}/").json()["digest"]
    response = api_client.post(
        f"/api/runs/{run_id}/approve/", {"digest": digest}, format="json", **RU
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "этот запуск должен одобрить другой человек"
    assert StepRun.objects.get(pk=run_id).status == "awaiting_approval"


def test_a_break_glass_without_a_reason_says_why_in_russian(
    api_client, make_api_client, second_commander, make_incident, settings
):
    settings.BREAK_GLASS_MIN_REASON = 21
    incident = make_incident("approval-drill")
    url = f"/api/incidents/{incident.pk}/steps/guarded/run/"
    run_id = api_client.post(url, {}, format="json").json()["run"]
    response = api_client.post(
        f"/api/runs/{run_id}/break-glass/", {"reason": "ночь"}, format="json", **RU
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "для аварийного запуска нужна причина"
    assert response.json()["fields"]["reason"] == (
        "объясните, почему второй командир не может одобрить (не меньше 21 символа)"
    )
    assert StepRun.objects.get(pk=run_id).status == "awaiting_approval"


def test_the_timeline_is_written_in_the_sites_language_whatever_the_browser_asks(
    api_client, incident, settings
):
    settings.LANGUAGE_CODE = "ru"
    assert api_client.post(run_url(incident, "count"), {}, format="json", **EN).status_code == 202
    queued = incident.timeline.get(kind=TimelineEntry.Kind.RUN_QUEUED).message
    assert queued.startswith("В очереди «Вывести пронумерованные строки» на local: ")
    assert StepRun.objects.get().step_title == "Вывести пронумерованные строки"


def test_an_approval_request_is_announced_in_the_sites_language(
    api_client, second_commander, make_incident, settings
):
    settings.LANGUAGE_CODE = "ru"
    incident = make_incident("approval-drill")
    url = f"/api/incidents/{incident.pk}/steps/guarded/run/"
    assert api_client.post(url, {}, format="json", **EN).status_code == 202
    sent = Notification.objects.filter(reason="approval_requested").first()
    assert "нужно одобрение: Echo once a second commander approves" in sent.subject
    assert sent.body.startswith("alice просит второго командира (carol) одобрить «Echo once")


def test_a_cancel_of_a_finished_run_is_refused_with_its_status_in_russian(
    api_client, incident, make_run
):
    run = make_run(incident, status="timed_out")
    response = api_client.post(f"/api/runs/{run.pk}/cancel/", format="json", **RU)
    assert response.status_code == 409
    assert response.json()["detail"] == "запуск уже завершён, статус: превышено время"
    assert StepRun.objects.get(pk=run.pk).status == "timed_out"


def test_output_paging_errors_come_back_in_russian(api_client, incident, make_run):
    run = make_run(incident)
    response = api_client.get(f"/api/runs/{run.pk}/output/?after=-1", **RU)
    assert response.status_code == 400
    assert response.json() == {"after": "не может быть отрицательным"}


def test_the_dashboard_lists_pending_approvals_in_russian(
    api_client, second_commander, make_incident, client
):
    incident = make_incident("approval-drill")
    url = f"/api/incidents/{incident.pk}/steps/guarded/run/"
    assert api_client.post(url, {}, format="json").status_code == 202
    client.force_login(second_commander)
    html = client.get("/", **RU).content.decode()
    section = html.split('data-swap="pending-approvals"')[1].split("</section>")[0]
    assert "<h2>Ждут одобрения</h2>" in section
    assert '<span class="hint">на local</span>' in section
    assert f'href="/incidents/{incident.pk}/#step-guarded">Проверить и одобрить</a>' in section
    for english in ("Waiting for approval", "Asked by", "Review and approve", " ago<"):
        assert english not in section, english
