"""Issue 11, item 6: a shared cache in production, the lockout message on every login page, and
structured logs with a request id (request log, 500s with their traceback, mail to ADMINS).

This module is also the URLconf of the tests that need a failing view (``pytest.mark.urls``)."""
import io
import json
import logging
import logging.config
import re
from unittest import mock

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import LoginView
from django.core import mail
from django.test import Client
from django.urls import URLResolver, get_resolver, include, path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from tests.conftest import PASSWORD
from tests.wenshang.test_accounts import lockout_text
from tests.wenshang.test_deploy import manage, production_env

# 2024-06-30 09:00 in Wenshang (Asia/Shanghai): the lockout clock of these tests.
FIXED_NOW = 1719709200.0
ID_NUMBER = "370830199001011234"  # the shape of a national ID number (never a real person's)
THIS_MODULE = "tests.wenshang.test_logging_and_deploy"


# -- a URLconf with failing views -------------------------------------------------------------------


def broken_page(request):
    raise RuntimeError("broken page")


class BrokenApiView(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("broken endpoint")


urlpatterns = [
    path("broken/", broken_page),
    path("api/broken/", BrokenApiView.as_view()),
    path("", include("wenshang.urls")),
]
handler404 = "wenshang.api.views.not_found"
handler500 = "wenshang.api.views.server_error"


# -- fixtures ---------------------------------------------------------------------------------------


@pytest.fixture
def clock():
    """``time.time`` fixed at FIXED_NOW, moved on by ``clock.advance(seconds)``."""

    class Clock:
        now = FIXED_NOW

        def advance(self, seconds):
            self.now += seconds

    c = Clock()
    with mock.patch("time.time", new=lambda: c.now):
        yield c


@pytest.fixture
def json_logs():
    """The site's logging configured as in production (JSON lines), written to a buffer.
    ``json_logs.lines()`` → the log lines parsed. The test settings' logging is restored after."""
    from wenshang.kernel import logs

    config = logs.logging_config(log_format="json", level="WARNING")
    logging.config.dictConfig(config)
    console = next(h for h in logging.getLogger().handlers if h.name == "console")
    buffer = io.StringIO()
    console.setStream(buffer)

    class Captured:
        def text(self):
            return buffer.getvalue()

        def lines(self):
            return [json.loads(line) for line in buffer.getvalue().splitlines()]

    yield Captured()
    logging.config.dictConfig(settings.LOGGING)


def failing_client():
    """A test client that answers a view's exception with the site's 500, as a real server does."""
    return Client(raise_request_exception=False)


# -- production needs a shared cache --------------------------------------------------------------


def test_production_refuses_to_start_without_redis_url():
    env = production_env()
    env.pop("REDIS_URL", None)
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "REDIS_URL" in result.stderr
    assert "gunicorn worker" in result.stderr  # the message says why


def test_production_starts_with_redis_url_and_uses_it_as_the_cache():
    env = production_env(REDIS_URL="redis://127.0.0.1:6379/13")
    result = manage("shell", "-v", "0", "-c", "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.core.cache.backends.redis.RedisCache"


def test_production_logs_json_by_default_and_starts_sentry_only_with_a_dsn():
    script = (
        "import sentry_sdk; from django.conf import settings; "
        "print(settings.LOGGING['handlers']['console']['formatter'], sentry_sdk.get_client().is_active())"
    )
    assert manage("shell", "-v", "0", "-c", script, env=production_env()).stdout.split() == ["json", "False"]
    with_dsn = manage("shell", "-v", "0", "-c", script, env=production_env(SENTRY_DSN="https://public@127.0.0.1:9/1", LOG_FORMAT="text"))
    assert with_dsn.returncode == 0, with_dsn.stderr
    assert with_dsn.stdout.split() == ["text", "True"]


# -- the lockout message on every login page ------------------------------------------------------


@pytest.mark.parametrize("login_url", ["/accounts/login/", "/admin/login/"])
def test_every_login_page_says_the_account_is_locked_and_for_how_long(client, admin_user, login_url, clock):
    def attempt(password):
        data = {"username": admin_user.username, "password": password, "next": "/"}
        return client.post(login_url, data, REMOTE_ADDR="198.51.100.23").content.decode()

    for _ in range(4):
        assert lockout_text(15) not in attempt("wrong-password")
    assert lockout_text(15) in attempt("wrong-password")  # the fifth failure starts the lock

    clock.advance(5 * 60)
    page = attempt(PASSWORD)  # the right password, refused while locked
    assert lockout_text(10) in page
    assert "请输入一个正确的用户名和密码" not in page  # not the generic "wrong user name or password"
    assert "_auth_user_id" not in client.session

    clock.advance(10 * 60 + 1)
    attempt(PASSWORD)
    assert "_auth_user_id" in client.session


def login_views(patterns):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from login_views(pattern.url_patterns)
        elif issubclass(getattr(pattern.callback, "view_class", object), LoginView):
            yield pattern.callback


def test_every_login_form_gives_the_lockout_message():
    """A login page added later, with Django's plain form, would say "wrong password" to a locked user."""
    from wenshang.accounts.views import LockoutMessageMixin

    views = list(login_views(get_resolver().url_patterns))
    assert views  # the portal's login page at least
    for view in views:
        form = view.view_initkwargs.get("authentication_form") or view.view_class.authentication_form
        assert issubclass(form, LockoutMessageMixin), view.view_class
    assert issubclass(admin.site.login_form, LockoutMessageMixin)


# -- request ids and the request log --------------------------------------------------------------


def test_each_request_gets_an_id_and_one_json_log_line(client, admin_user, json_logs):
    client.force_login(admin_user)
    response = client.get(f"/accounts/password/?q={ID_NUMBER}", HTTP_AUTHORIZATION="Bearer ws_secret-token-value-0123456789")
    assert response.status_code == 200
    request_id = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)

    [line] = [entry for entry in json_logs.lines() if entry["logger"] == "wenshang.request"]
    assert line["request_id"] == request_id
    assert line["level"] == "INFO"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/accounts/password/", 200)
    assert (line["user_id"], line["user"]) == (admin_user.pk, admin_user.username)
    assert isinstance(line["duration_ms"], (int, float)) and line["duration_ms"] >= 0
    # Neither the query string nor the Authorization header reaches the log.
    assert ID_NUMBER not in json_logs.text() and "ws_secret" not in json_logs.text()


def test_a_sane_incoming_request_id_is_kept_and_anything_else_replaced(client, db, json_logs):
    assert client.get("/accounts/login/", HTTP_X_REQUEST_ID="lb-5f3a9c0e-0001")["X-Request-ID"] == "lb-5f3a9c0e-0001"
    for bad in ['x"}\n{"level": "ERROR', "a" * 300, "short"]:
        request_id = client.get("/accounts/login/", HTTP_X_REQUEST_ID=bad)["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    lines = json_logs.lines()  # every line still parses: nothing a client sends breaks the JSON
    assert [entry["request_id"] for entry in lines][0] == "lb-5f3a9c0e-0001"


def test_django_request_warnings_carry_the_request_id(client, db, json_logs):
    # Django logs a 4xx on django.request after the middleware chain has returned.
    response = client.get("/api/v1/no-such-endpoint/")
    assert response.status_code == 404
    [warning] = [entry for entry in json_logs.lines() if entry["logger"] == "django.request"]
    assert (warning["level"], warning["status"], warning["request_id"]) == ("WARNING", 404, response["X-Request-ID"])


def test_log_lines_never_carry_passwords_or_full_id_numbers(client, db, json_logs):
    client.post("/accounts/login/", {"username": f"王{ID_NUMBER}", "password": "Secret-Pass-2024"})
    logging.getLogger("wenshang.test").warning("duplicate key value (id_number)=(%s) \"quoted\"\nnext line", ID_NUMBER)
    text = json_logs.text()
    assert "Secret-Pass-2024" not in text and ID_NUMBER not in text
    assert "370830********1234" in text
    message = json_logs.lines()[-1]["message"]
    assert message == 'duplicate key value (id_number)=(370830********1234) "quoted"\nnext line'


# -- server errors --------------------------------------------------------------------------------


@pytest.mark.urls(THIS_MODULE)
def test_a_page_error_is_logged_with_its_traceback_and_request_id(db, json_logs):
    response = failing_client().get("/broken/")
    assert response.status_code == 500
    request_id = response["X-Request-ID"]
    [error] = [entry for entry in json_logs.lines() if entry["level"] == "ERROR"]
    assert error["logger"] == "django.request" and error["status"] == 500
    assert error["request_id"] == request_id
    assert "Traceback" in error["exc_info"] and 'RuntimeError("broken page")' in error["exc_info"]
    [request_line] = [entry for entry in json_logs.lines() if entry["logger"] == "wenshang.request"]
    assert (request_line["status"], request_line["request_id"]) == (500, request_id)


@pytest.mark.urls(THIS_MODULE)
def test_an_api_error_answers_with_the_request_id_and_is_logged(db, json_logs, settings):
    settings.ADMINS = []
    response = failing_client().get("/api/broken/")
    assert response.status_code == 500
    body = response.json()
    request_id = response["X-Request-ID"]
    assert body["status"] == 500 and body["request_id"] == request_id
    assert request_id in body["message"] and "错误已记录" in body["message"]
    assert "通知" not in body["message"]  # nobody was told: no ADMINS, no Sentry
    [error] = [entry for entry in json_logs.lines() if entry["level"] == "ERROR"]
    assert error["request_id"] == request_id and 'RuntimeError("broken endpoint")' in error["exc_info"]


@pytest.mark.urls(THIS_MODULE)
def test_administrators_get_a_mail_for_a_server_error(db, settings):
    settings.ADMINS = [("汶上县大数据中心", "ops@wenshang.example")]
    client = failing_client()
    response = client.post("/broken/", {"id_number": ID_NUMBER, "password": "Secret-Pass-2024"})
    assert response.status_code == 500
    [message] = mail.outbox
    assert message.to == ["ops@wenshang.example"]
    assert response["X-Request-ID"] in message.subject
    assert 'RuntimeError("broken page")' in message.body
    # The mail holds the request id and the traceback, not the request's data.
    assert ID_NUMBER not in message.body and "Secret-Pass-2024" not in message.body

    api = client.get("/api/broken/").json()
    assert "已通知管理员" in api["message"]


def test_sentry_events_carry_the_request_id_and_no_request_data():
    from wenshang.kernel import logs

    event = {
        "request": {"url": "https://portal/x/", "query_string": f"q={ID_NUMBER}", "data": {"password": "p"}, "cookies": {"a": "b"}},
        "exception": {"values": [{"type": "IntegrityError", "value": f"Key (id_number)=({ID_NUMBER}) already exists."}]},
    }
    token = logs.request_id_var.set("abc123def456")
    try:
        cleaned = logs.sentry_before_send(event, {})
    finally:
        logs.request_id_var.reset(token)
    assert cleaned["tags"]["request_id"] == "abc123def456"
    assert set(cleaned["request"]) == {"url"}
    assert ID_NUMBER not in json.dumps(cleaned, ensure_ascii=False)
