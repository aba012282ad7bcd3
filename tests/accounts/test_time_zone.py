"""Each person's time zone: every time on the pages in it, with the offset that names it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.template import Context, Template
from django.test import Client
from django.utils import timezone

from incident_console.accounts.models import Preference
from incident_console.accounts.services import preference_save

# 22:58 UTC on 26 November is 01:58 on the 27th in Moscow (UTC+03:00, no summer time).
AT = datetime(2026, 11, 26, 22, 58, tzinfo=UTC)


def signed_in(user, browser_language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=browser_language)
    client.force_login(user)
    return client


@pytest.fixture
def entry_at_2258_utc(incident):
    incident.timeline.update(at=AT)
    return incident


def test_a_timeline_entry_at_2258_utc_shows_as_0158_to_a_user_in_moscow(user, entry_at_2258_utc):
    preference_save(user=user, time_zone="Europe/Moscow")
    incident = entry_at_2258_utc
    client = signed_in(user)
    detail = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert '<time datetime="2026-11-27T01:58:00+03:00">01:58:00</time>' in detail
    assert "22:58" not in detail
    timeline = client.get(f"/incidents/{incident.pk}/timeline/").content.decode()
    assert ">2026-11-27 01:58:00</time>" in timeline
    assert "22:58" not in timeline


def test_a_user_without_a_zone_sees_the_sites_zone(user, entry_at_2258_utc, settings):
    # The suite's site zone is UTC (pytest-env).
    detail = signed_in(user).get(f"/incidents/{entry_at_2258_utc.pk}/").content.decode()
    assert '<time datetime="2026-11-26T22:58:00+00:00">22:58:00</time>' in detail


def test_every_page_names_the_readers_zone_for_its_scripts(user):
    preference_save(user=user, time_zone="Asia/Novosibirsk")
    html = signed_in(user).get("/").content.decode()
    assert 'data-time-zone="Asia/Novosibirsk"' in html
    assert "Time: Asia/Novosibirsk (UTC+07:00)" in html


def test_an_anonymous_visitor_gets_the_sites_zone(db):
    html = Client().get("/login/").content.decode()
    assert 'data-time-zone="UTC"' in html
    assert "Time: UTC (UTC+00:00)" in html


def test_the_zone_note_is_in_the_users_language(user):
    preference_save(user=user, language="ru", time_zone="Europe/Moscow")
    html = signed_in(user).get("/").content.decode()
    assert "Время: Europe/Moscow (UTC+03:00)" in html


def test_the_preferences_page_offers_common_zones_with_moscow_first(user):
    html = signed_in(user).get("/preferences/").content.decode()
    listed = html[html.index('name="time_zone"') :]
    assert listed.index('value="Europe/Moscow"') < listed.index('value="Asia/Novosibirsk"')
    assert 'value="Europe/Moscow">Europe/Moscow (UTC+03:00)</option>' in html


def test_a_listed_zone_is_saved(user):
    response = signed_in(user).post("/preferences/", {"language": "", "time_zone": "Asia/Omsk"})
    assert response.status_code == 302
    assert Preference.objects.get(user=user).time_zone == "Asia/Omsk"


def test_any_iana_zone_may_be_typed_and_wins_over_the_list(user):
    signed_in(user).post(
        "/preferences/", {"time_zone": "Europe/Moscow", "other_time_zone": "America/Sao_Paulo"}
    )
    assert Preference.objects.get(user=user).time_zone == "America/Sao_Paulo"


def test_a_typed_zone_comes_back_in_its_field(user):
    preference_save(user=user, time_zone="America/Sao_Paulo")
    html = signed_in(user).get("/preferences/").content.decode()
    assert 'name="other_time_zone" value="America/Sao_Paulo"' in html


@pytest.mark.parametrize("zone", ["Mars/Olympus", "Europe", "../etc/passwd", "localtime"])
def test_an_unknown_zone_is_refused_with_a_clear_error_and_changes_nothing(user, zone):
    preference_save(user=user, language="en", time_zone="Asia/Omsk")
    response = signed_in(user).post(
        "/preferences/", {"language": "ru", "time_zone": "", "other_time_zone": zone}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "is not a time zone. Use an IANA name such as Europe/Moscow" in html
    preference = Preference.objects.get(user=user)
    assert (preference.language, preference.time_zone) == ("en", "Asia/Omsk")


def test_the_unknown_zone_error_is_in_the_users_language(user):
    preference_save(user=user, language="ru")
    response = signed_in(user).post("/preferences/", {"other_time_zone": "Mars/Olympus"})
    html = response.content.decode()
    assert "«Mars/Olympus» — не часовой пояс. Укажите имя IANA" in html
    assert "Ничего не сохранено" in html


def test_a_zone_not_in_the_list_is_refused_from_the_list_field(user):
    response = signed_in(user).post("/preferences/", {"time_zone": "Mars/Olympus"})
    assert response.status_code == 400
    assert Preference.objects.count() == 0


def render(text: str, **context) -> str:
    return Template("{% load local_time %}" + text).render(Context(context))


def test_with_offset_shows_a_time_in_the_active_zone_with_its_offset():
    with timezone.override("Europe/Moscow"):
        assert render("{{ at|with_offset }}", at=AT) == "2026-11-27 01:58 (UTC+03:00)"
    with timezone.override("America/New_York"):
        assert render("{{ at|with_offset }}", at=AT) == "2026-11-26 17:58 (UTC-05:00)"
    with timezone.override("Asia/Kolkata"):
        assert render("{{ at|with_offset }}", at=AT) == "2026-11-27 04:28 (UTC+05:30)"


def test_with_offset_shows_nothing_for_no_time():
    assert render("{{ at|with_offset }}", at=None) == ""


def test_the_zone_note_names_the_active_zone_and_its_offset_now():
    with timezone.override("Asia/Vladivostok"):
        assert render("{% time_zone_note %}") == "Time: Asia/Vladivostok (UTC+10:00)"


def test_with_offset_shows_seconds_when_asked():
    from datetime import UTC, datetime

    from django.utils import timezone

    from incident_console.accounts.templatetags.local_time import with_offset

    moment = datetime(2026, 11, 26, 22, 58, 7, tzinfo=UTC)
    with timezone.override("Europe/Moscow"):
        assert with_offset(moment) == "2026-11-27 01:58 (UTC+03:00)"
        assert with_offset(moment, "seconds") == "2026-11-27 01:58:07 (UTC+03:00)"
