"""The Targets page, readiness, a run the console could not start and the setup banner, in
Russian: the page in the reader's language, what checks and runs store in the site's."""

from __future__ import annotations

import pytest

from incident_console.runs import execution, services
from incident_console.targets.services import targets_check
from tests.servers import free_port
from tests.targets.test_setup_status import BANNER

pytestmark = pytest.mark.django_db

RU = {"HTTP_ACCEPT_LANGUAGE": "ru"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
TARGETS_PAGE_ENGLISH = (
    "Check again",
    "Why / what to set",
    "Checked",
    "Notification channels",
    "Where steps run",
    "Set:",
    ">not configured<",
    ">configured<",
    ">ready<",
)


@pytest.fixture
def drill_targets(ready_targets, write_targets, monkeypatch):
    """prod-host ready; prod-db with a password variable nobody set."""
    monkeypatch.delenv("IC_TEST_UNSET_PASSWORD", raising=False)
    password = {"password": "env:IC_TEST_UNSET_PASSWORD"}
    write_targets(
        {
            "prod-host": ready_targets["prod-host"],
            "prod-db": {**ready_targets["prod-db"], "credentials": password},
        }
    )


@pytest.fixture
def russian_site(settings):
    settings.LANGUAGE_CODE = "ru"


def test_the_targets_page_is_russian_with_no_english_left(
    client, viewer, drill_targets, russian_site, settings
):
    settings.TELEGRAM_BOT_TOKEN, settings.TELEGRAM_CHAT_ID = "token", "42"
    client.force_login(viewer)
    html = client.get("/targets/", **RU).content.decode()
    assert "<h1>Цели</h1>" in html
    assert ">Проверить снова</button>" in html
    assert ">Каналы уведомлений</h2>" in html
    assert 'class="readiness ready" href="/targets/#target-prod-host"' in html
    assert ">готова</a>" in html
    assert (
        "<strong>Задайте:</strong> у prod-db нет password: задайте переменную окружения "
        "IC_TEST_UNSET_PASSWORD на воркере"
    ) in html
    assert "<code>TELEGRAM_BOT_TOKEN</code> и <code>TELEGRAM_CHAT_ID</code>" in html
    assert '<span class="readiness ready">настроен</span>' in html
    for english in TARGETS_PAGE_ENGLISH:
        assert english not in html, english


def test_the_targets_page_stays_english_when_english_is_asked(client, viewer, drill_targets):
    client.force_login(viewer)
    html = client.get("/targets/", **EN).content.decode()
    assert "<h1>Targets</h1>" in html and ">Check again</button>" in html
    assert "<strong>Set:</strong> prod-db has no password: set the environment variable" in html
    assert "Цели" not in html


def card(client, incident, step_id: str) -> str:
    url = f"/incidents/{incident.pk}/steps/{step_id}/card/"
    return client.get(url, **RU).content.decode()


def test_a_step_card_shows_readiness_and_host_in_russian(
    client, user, make_incident, drill_targets, incident
):
    targets_check(names=["prod-db"])
    client.force_login(user)
    db_card = card(client, make_incident("targets-drill"), "check-db")
    assert 'class="readiness not_configured" href="/targets/#target-prod-db"' in db_card
    assert ">не настроена</a>" in db_card
    assert ">не запускался</span>" in db_card
    assert "(хост самой консоли)" in card(client, incident, "count")


executes = pytest.mark.django_db(transaction=True)


def run_step(incident, user, step_id: str):
    run = services.step_run_start(
        incident=incident, step_id=step_id, actor=user, params={}, dispatch=False
    )
    return execution.step_run_execute(run_id=run.pk, task_id=run.task_id)


@executes
def test_a_run_the_console_could_not_start_says_so_in_russian(
    client, user, make_incident, drill_targets, russian_site
):
    incident = make_incident("targets-drill")
    run = run_step(incident, user, "check-db")
    assert run.failure_cause == "console_not_configured"
    assert run.detail == (
        "у prod-db нет password: задайте переменную окружения IC_TEST_UNSET_PASSWORD на воркере"
    )
    assert incident.timeline.get(kind="run_finished").message == (
        "«Check the database connection» не запущен: консоль не настроена: " + run.detail
    )
    client.force_login(user)
    html = card(client, incident, "check-db")
    assert f"консоль не настроена: {run.detail} · " in html
    assert '<a href="/targets/#target-prod-db">Цели</a>' in html
    assert "console not configured" not in html


@executes
def test_a_run_whose_target_failed_shows_its_status_in_russian(
    client, user, make_incident, ready_targets, write_targets, russian_site
):
    write_targets({"prod-db": {**ready_targets["prod-db"], "port": free_port()}})
    incident = make_incident("targets-drill")
    run = run_step(incident, user, "check-db")
    assert (run.status, run.failure_cause) == ("failed", "target")
    assert incident.timeline.get(kind="run_finished").message.startswith(
        "«Check the database connection»: ошибка"
    )
    client.force_login(user)
    html = card(client, incident, "check-db")
    assert 'class="step card run-failed cause-target' in html
    assert '<span class="status run-status" data-role="status" data-swap="status">ошибка' in html


def test_the_setup_banner_is_russian(client, user, incident, settings, tmp_path):
    settings.SLACK_WEBHOOK_URL = settings.TELEGRAM_BOT_TOKEN = settings.EMAIL_HOST = ""
    targets = tmp_path / "targets.yaml"
    targets.write_text("targets: {}\n")
    settings.TARGETS_FILE = str(targets)
    client.force_login(user)
    html = client.get("/", **RU).content.decode()
    assert BANNER in html
    assert "<strong>Настройка не завершена:</strong>" in html
    assert '<a href="/contacts/">Контакты не заполнены</a>' in html
    assert (
        '<a href="/targets/#notifications">Не настроен ни один канал уведомлений</a> — задайте '
        "SLACK_WEBHOOK_URL, или TELEGRAM_BOT_TOKEN и TELEGRAM_CHAT_ID, или EMAIL_HOST и "
        "ONCALL_EMAIL на хостах web и worker"
    ) in html
    assert "Setup is not finished" not in html
