"""Telling the customer (seed: data loss past the RPO, leaked secrets): a customer_notice step
drafts the message from the site's template, a commander edits and sends it by email to the
customer contact, and the timeline records exactly what was sent."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from incident_console.errors import Forbidden, InvalidInput, NotSent
from incident_console.incidents.models import Contact, Incident, TimelineEntry
from incident_console.runs.customer_notices import customer_notice_draft, customer_notice_send
from incident_console.runs.models import StepRun
from incident_console.runs.services import step_run_start
from tests.servers import free_port

CUSTOMER = "it@customer.example"
NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)


@pytest.fixture
def customer():
    Contact.objects.filter(role="Customer").update(email=CUSTOMER)


@pytest.fixture
def data_loss(make_incident, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    incident = make_incident("data-loss", title="Orders of 26 November deleted")
    Incident.objects.filter(pk=incident.pk).update(opened_at=NOW - timedelta(minutes=45))
    incident.refresh_from_db()
    return incident


def send(incident, actor, subject="Ringo Uchet: orders lost", body="Dear customer, …"):
    return customer_notice_send(
        incident=incident, step_id="notify-customer", actor=actor, subject=subject, body=body
    )


def test_the_draft_says_what_happened_the_impact_the_data_window_and_the_next_update(
    data_loss, customer
):
    data_loss.impact = "Orders created on 26 November are missing for every customer."
    data_loss.save(update_fields=["impact"])
    draft = customer_notice_draft(incident=data_loss, step_id="notify-customer")
    assert (draft.to, draft.problem) == (CUSTOMER, "")
    assert draft.subject == "Ringo Uchet: data loss incident, 2026-11-27 08:45 UTC"
    assert draft.body.splitlines()[4:11] == [
        "What happened: Orders of 26 November deleted. We detected it at 2026-11-27 08:45 UTC "
        "and have been working on it since.",
        "",
        "Impact: Orders created on 26 November are missing for every customer.",
        "",
        "Data affected: not known yet; we will say which period of data is affected in the next "
        "update (our recovery point objective is 1 h).",
        "",
        "What we are doing: we stopped the services that write data and are restoring the "
        "database from our most recent backup.",
    ]
    assert "Next update: by 2026-11-27 10:30 UTC, or sooner if anything changes." in draft.body


def test_the_data_window_comes_from_the_backup_listed_and_the_restore_recorded(
    data_loss, customer, make_run
):
    make_run(
        data_loss,
        "find-backup-for-date",
        executor="s3",
        outputs={"latest_modified": "2026-11-26T02:00:00+00:00"},
        finished_at=NOW - timedelta(minutes=20),
    )
    make_run(
        data_loss,
        "restore-backup",
        executor="postgres",
        command={"action": "restore"},
        started_at=datetime(2026, 11, 27, 8, 0, tzinfo=UTC),
        finished_at=NOW - timedelta(minutes=5),
    )
    draft = customer_notice_draft(incident=data_loss, step_id="notify-customer")
    assert (
        "Data affected: data written between 2026-11-26 02:00 and 2026-11-27 08:00 UTC (30.0 h) "
        "could not be restored; that is more than our recovery point objective of 1 h."
    ) in draft.body


def test_a_commander_sends_the_edited_notice_and_the_timeline_records_exactly_what(
    data_loss, customer, user
):
    body = "Dear customer,\n\nOrders of 26 November were lost; we restored 25 November.\n"
    run = send(data_loss, user, subject="Ringo Uchet: orders of 26 November lost", body=body)
    [message] = mail.outbox
    assert (message.to, message.subject, message.body) == (
        [CUSTOMER],
        "Ringo Uchet: orders of 26 November lost",
        body,
    )
    assert (run.step_id, run.executor, run.status) == (
        "notify-customer",
        "customer_notice",
        "succeeded",
    )
    entry = data_loss.timeline.get(kind=TimelineEntry.Kind.NOTIFICATION, run=run)
    assert entry.actor == user
    assert entry.message == (
        f"Customer notice sent to {CUSTOMER}\nSubject: Ringo Uchet: orders of 26 November lost\n\n"
        + body
    )
    assert entry.data == {
        "to": CUSTOMER,
        "subject": "Ringo Uchet: orders of 26 November lost",
        "body": body,
        "step_id": "notify-customer",
        "channel": "email",
        "status": "sent",
    }
    text = "".join(run.chunks.order_by("seq").values_list("text", flat=True))
    assert text == f"To: {CUSTOMER}\nSubject: Ringo Uchet: orders of 26 November lost\n\n{body}"


def test_without_a_customer_email_sending_is_refused_and_nothing_changes(data_loss, user):
    entries = data_loss.timeline.count()
    with pytest.raises(InvalidInput, match="no customer email is configured: fill in the email"):
        send(data_loss, user)
    assert mail.outbox == []
    assert not StepRun.objects.filter(incident=data_loss).exists()
    assert data_loss.timeline.count() == entries
    draft = customer_notice_draft(incident=data_loss, step_id="notify-customer")
    assert (draft.to, draft.problem) == (
        "",
        "no customer email is configured: fill in the email of the “Customer” contact",
    )


def test_a_responder_may_not_send_to_the_customer(data_loss, customer, responder):
    with pytest.raises(Forbidden, match="sending a notice to the customer needs the commander"):
        send(data_loss, responder)
    assert mail.outbox == []


def test_an_empty_message_is_refused(data_loss, customer, user):
    with pytest.raises(InvalidInput) as refused:
        send(data_loss, user, subject="two\nlines", body=" ")
    assert refused.value.fields == {
        "subject": "one line of text is required",
        "body": "is required",
    }


def test_a_mail_server_that_refuses_is_recorded_as_not_sent(data_loss, customer, user, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    with pytest.raises(NotSent, match=f"the notice to {CUSTOMER} was not sent"):
        send(data_loss, user)
    run = StepRun.objects.get(incident=data_loss, step_id="notify-customer")
    assert run.status == "failed" and run.detail.startswith("ConnectionRefusedError")
    entry = data_loss.timeline.get(run=run)
    assert entry.message.startswith(f"Customer notice NOT sent to {CUSTOMER} (ConnectionRefused")
    assert entry.data["status"] == "failed"


def test_the_step_cannot_be_run_like_a_command(data_loss, user):
    with pytest.raises(InvalidInput, match="this step emails the customer: edit the draft"):
        step_run_start(incident=data_loss, step_id="notify-customer", actor=user, params={})


def test_the_api_gives_the_draft_and_sends_as_a_commander_only(
    data_loss, customer, api_client, make_api_client, responder
):
    url = f"/api/incidents/{data_loss.pk}/steps/notify-customer/customer-notice/"
    draft = api_client.get(url).json()
    assert draft["to"] == CUSTOMER and draft["subject"].startswith("Ringo Uchet: data loss")
    body = {"subject": "Orders lost", "body": "Details follow."}
    assert make_api_client(responder).post(url, body, format="json").status_code == 403
    response = api_client.post(url, body, format="json")
    assert response.status_code == 201 and response.json()["status"] == "succeeded"
    assert [(m.subject, m.body) for m in mail.outbox] == [("Orders lost", "Details follow.\n")]


def test_the_api_refuses_clearly_without_a_customer_email(data_loss, api_client):
    url = f"/api/incidents/{data_loss.pk}/steps/notify-customer/customer-notice/"
    response = api_client.post(url, {"subject": "s", "body": "b"}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"] == (
        "no customer email is configured: fill in the email of the “Customer” contact"
    )


def test_the_incident_page_lets_a_commander_edit_and_send_and_shows_others_the_draft(
    data_loss, customer, client, user, responder
):
    client.force_login(user)
    page = client.get(data_loss.get_absolute_url()).content.decode()
    assert 'data-action="send-notice">Send to the customer</button>' in page
    assert f'<strong data-role="notice-to">{CUSTOMER}</strong>' in page
    client.force_login(responder)
    page = client.get(data_loss.get_absolute_url()).content.decode()
    assert 'disabled title="Only a commander sends to the customer"' in page


def test_the_secrets_leak_scenario_drafts_its_own_notice(make_incident, customer):
    incident = make_incident("secrets-leak", title="API token in a public gist")
    draft = customer_notice_draft(incident=incident, step_id="notify-customer")
    assert draft.subject.startswith("Ringo Uchet: security incident, ")
    assert "What happened: API token in a public gist. We detected it at" in draft.body


def test_a_russian_site_drafts_the_russian_notice_with_moscow_times(data_loss, customer, settings):
    settings.LANGUAGE_CODE = "ru"
    settings.TIME_ZONE = "Europe/Moscow"
    draft = customer_notice_draft(incident=data_loss, step_id="notify-customer")
    assert draft.subject == "Ringo Uchet: инцидент с потерей данных, 27.11.2026 11:45 (UTC+03:00)"
    assert "Мы обнаружили это 27.11.2026 11:45 (UTC+03:00)" in draft.body
    assert "Следующее сообщение: до 27.11.2026 13:30 (UTC+03:00)" in draft.body
