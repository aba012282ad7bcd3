"""The websocket entrance: same-origin browsers only, and every path answered with a close."""

import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client

from incident_console.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)

CONSOLE = "127.0.0.1:8000"


@pytest.fixture
def session_cookie(user):
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


@pytest.fixture
def run(incident, make_run):
    return make_run(incident)


async def connect(path, *, origin=None, host=CONSOLE, cookie="", scheme="ws", headers=()):
    sent = [(b"host", host.encode()), (b"cookie", cookie.encode()), *headers]
    if origin is not None:
        sent.append((b"origin", origin.encode()))
    communicator = WebsocketCommunicator(application, path, headers=sent)
    communicator.scope["scheme"] = scheme
    connected, code = await communicator.connect()
    await communicator.disconnect()
    return connected, code


async def test_the_consoles_own_page_opens_the_websocket(run, session_cookie):
    connected, _ = await connect(
        f"/ws/runs/{run.pk}/", origin=f"http://{CONSOLE}", cookie=session_cookie
    )
    assert connected


async def test_a_page_on_another_port_of_the_same_host_is_refused(run, session_cookie):
    connected, _ = await connect(
        f"/ws/runs/{run.pk}/", origin="http://127.0.0.1:9999", cookie=session_cookie
    )
    assert not connected


async def test_a_page_on_another_scheme_is_refused(run, session_cookie):
    connected, _ = await connect(
        f"/ws/runs/{run.pk}/", origin=f"https://{CONSOLE}", cookie=session_cookie
    )
    assert not connected


async def test_a_host_outside_allowed_hosts_is_refused_even_when_it_matches(run, session_cookie):
    connected, _ = await connect(
        f"/ws/runs/{run.pk}/",
        origin="http://rebound.example:8000",
        host="rebound.example:8000",
        cookie=session_cookie,
    )
    assert not connected


async def test_an_origin_in_csrf_trusted_origins_is_accepted(run, session_cookie, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://console.example.com"]
    connected, _ = await connect(
        f"/ws/runs/{run.pk}/", origin="https://console.example.com", cookie=session_cookie
    )
    assert connected


async def test_behind_a_tls_proxy_the_https_origin_is_the_consoles_own(
    run, session_cookie, settings
):
    settings.ALLOWED_HOSTS = ["console.example.com"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    connected, _ = await connect(
        f"/ws/runs/{run.pk}/",
        origin="https://console.example.com",
        host="console.example.com",
        cookie=session_cookie,
        headers=[(b"x-forwarded-proto", b"https")],
    )
    assert connected


async def test_a_client_without_origin_is_not_a_browser_and_goes_on_to_authenticate(run):
    assert await connect(f"/ws/runs/{run.pk}/") == (False, 4401)


@pytest.mark.parametrize(
    "path",
    ["/ws/runs/-1/", "/ws/runs/abc/", "/ws/runs/0/", "/ws/runs/99999999999999999999/", "/ws/x/"],
)
async def test_a_path_that_names_no_run_is_closed_with_4404(path, session_cookie):
    assert await connect(path, origin=f"http://{CONSOLE}", cookie=session_cookie) == (False, 4404)
