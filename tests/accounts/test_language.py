"""Each person's language: chosen once, kept across logins, over whatever the browser sends."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from incident_console.accounts.models import Preference
from incident_console.accounts.services import preference_save

# The top bar's own words, as each language shows them.
TOP_BAR = {
    "en": ["Log out", "Open incident", "Maintenance", "Contacts", "Menu"],
    "ru": ["Выйти", "Открыть инцидент", "Обслуживание", "Контакты", "Меню"],
}
LOGIN_PAGE = {
    "en": ["Log in", "Username", "Password"],
    "ru": ["Войти", "Имя пользователя", "Пароль"],
}


def signed_in(user, browser_language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=browser_language)
    client.force_login(user)
    return client


def log_in(client: Client, username: str = "alice", password: str = "pw-123456"):
    return client.post("/login/", {"username": username, "password": password})


def assert_in_language(html: str, words: dict[str, list[str]], language: str) -> None:
    """The page is in ``language``: its top bar (and, for the login page, the login form)."""
    other = "en" if language == "ru" else "ru"
    assert f'<html lang="{language}"' in html
    if words is TOP_BAR:
        html = html[html.index('<header class="topbar">') : html.index("</header>")]
    assert [word for word in words[language] if word not in html] == []
    assert [word for word in words[other] if word in html] == []


@pytest.mark.parametrize("browser_language", ["en", "en-US,en;q=0.9", "de"])
def test_a_user_who_chose_russian_gets_russian_pages_whatever_the_browser_sends(
    user, browser_language
):
    preference_save(user=user, language="ru")
    page = signed_in(user, browser_language).get("/")
    assert_in_language(page.content.decode(), TOP_BAR, "ru")
    assert page["Content-Language"] == "ru"


def test_a_user_who_chose_english_gets_english_pages_from_a_russian_browser(user):
    preference_save(user=user, language="en")
    page = signed_in(user, "ru").get("/")
    assert_in_language(page.content.decode(), TOP_BAR, "en")


def test_a_user_without_a_choice_follows_the_browser(user):
    assert_in_language(signed_in(user, "ru").get("/").content.decode(), TOP_BAR, "ru")
    assert_in_language(signed_in(user, "en").get("/").content.decode(), TOP_BAR, "en")


def test_the_choice_survives_a_new_login(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    log_in(client)
    client.post("/preferences/language/", {"language": "ru", "next": "/"})
    client.post("/logout/")
    another_browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert log_in(another_browser).status_code == 302
    assert_in_language(another_browser.get("/").content.decode(), TOP_BAR, "ru")


def test_pages_of_users_who_never_chose_write_no_preference(user, incident):
    client = signed_in(user, "ru")
    for path in ("/", "/incidents/", f"/incidents/{incident.pk}/", "/preferences/"):
        assert client.get(path).status_code == 200
    assert Preference.objects.count() == 0


def test_the_top_bar_switch_saves_the_language_and_goes_back_to_the_page(user, incident):
    client = signed_in(user, "en")
    back = f"/incidents/{incident.pk}/"
    response = client.post("/preferences/language/", {"language": "ru", "next": back})
    assert response.status_code == 302
    assert response["Location"] == back
    assert Preference.objects.get(user=user).language == "ru"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ru"
    assert_in_language(client.get(back).content.decode(), TOP_BAR, "ru")


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", "javascript:x"])
def test_the_switch_never_sends_the_browser_to_another_site(user, next_url):
    response = signed_in(user).post("/preferences/language/", {"language": "ru", "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_the_switch_refuses_a_language_the_console_does_not_offer(user):
    signed_in(user).post("/preferences/language/", {"language": "de", "next": "/"})
    assert Preference.objects.filter(user=user).exists() is False


def test_the_switch_answers_only_posts(user):
    assert signed_in(user).get("/preferences/language/?language=ru").status_code == 405


def test_the_top_bar_offers_the_other_language_by_its_own_name(user):
    html = signed_in(user, "en").get("/").content.decode()
    assert 'name="language" value="ru" lang="ru">Русский</button>' in html
    assert 'value="en"' not in html


def test_an_anonymous_russian_browser_gets_the_russian_login_page():
    page = Client(HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9,en;q=0.5").get("/login/")
    assert_in_language(page.content.decode(), LOGIN_PAGE, "ru")


def test_an_anonymous_english_browser_gets_the_english_login_page():
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get("/login/")
    assert_in_language(page.content.decode(), LOGIN_PAGE, "en")


def test_the_login_page_switch_changes_the_language_for_an_anonymous_visitor(db):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post("/preferences/language/", {"language": "ru", "next": "/login/"})
    assert response["Location"] == "/login/"
    assert_in_language(client.get("/login/").content.decode(), LOGIN_PAGE, "ru")
    assert Preference.objects.count() == 0


def test_a_wrong_password_is_told_in_the_browsers_language(user):
    russian = log_in(Client(HTTP_ACCEPT_LANGUAGE="ru"), password="wrong").content.decode()
    assert "Неверное имя пользователя или пароль." in russian
    assert "Wrong username or password." not in russian
    english = log_in(Client(HTTP_ACCEPT_LANGUAGE="en"), password="wrong").content.decode()
    assert "Wrong username or password." in english


def test_the_preferences_page_saves_the_language_and_shows_the_next_page_in_it(user):
    client = signed_in(user, "en")
    response = client.post("/preferences/", {"language": "ru", "time_zone": ""}, follow=True)
    html = response.content.decode()
    assert "Настройки сохранены." in html
    assert_in_language(html, TOP_BAR, "ru")


def test_following_the_browser_again_forgets_the_language_cookie(user):
    client = signed_in(user, "en")
    client.post("/preferences/language/", {"language": "ru", "next": "/"})
    response = client.post("/preferences/", {"language": "", "time_zone": ""})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == ""
    assert Preference.objects.get(user=user).language == ""
    assert_in_language(client.get("/").content.decode(), TOP_BAR, "en")
