"""Tokens for other systems: made by an administrator (page or command), shown once, stored
hashed, scoped, read-only or read-write, expiring, revocable, last use recorded, throttled; the
browser's session keeps working."""
import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from wenshang.api import auth
from wenshang.api.models import ApiToken
from wenshang.kernel.models import User

VILLAGES = "/api/v1/villages/villages/"


def test_the_command_prints_the_token_once_and_keeps_only_its_hash(township_a):
    out, err = StringIO(), StringIO()
    call_command("create_api_token", "--name", "网格员手机应用", "--scope", township_a.code, "--expires", "90", stdout=out, stderr=err)
    key = out.getvalue().strip()
    assert key.startswith("ws_") and len(key) > 40
    assert "网格员手机应用" in err.getvalue() and "read-write" in err.getvalue()
    token = ApiToken.objects.get()
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(list(ApiToken.objects.values())) and key not in str(list(User.objects.values()))
    assert token.township == township_a and not token.read_only
    assert timedelta(days=89) < token.expires_at - timezone.now() <= timedelta(days=90)
    assert token.user.is_api_client and not token.user.has_usable_password() and not token.user.is_staff
    response = APIClient().get(VILLAGES, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200


def test_the_command_makes_county_and_read_only_tokens_and_refuses_a_bad_scope(county):
    out = StringIO()
    call_command("create_api_token", "--name", "省平台", "--scope", "county", "--read-only", "--expires", "0", stdout=out, stderr=StringIO())
    token = ApiToken.objects.get()
    assert token.township is None and token.read_only and token.expires_at is None
    with pytest.raises(CommandError, match="No township"):
        call_command("create_api_token", "--name", "x", "--scope", "999999999", stdout=StringIO(), stderr=StringIO())
    assert ApiToken.objects.count() == 1


@pytest.mark.parametrize("header", ["Bearer {key}", "Token {key}", "bearer {key}"])
def test_the_token_is_accepted_with_either_keyword(make_token, county, header):
    token = make_token()
    assert APIClient().get(VILLAGES, HTTP_AUTHORIZATION=header.format(key=token.key)).status_code == 200


def test_without_a_token_the_answer_is_401_in_the_error_format(county):
    response = APIClient().get(VILLAGES)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert body["status"] == 401 and body["code"] == "not_authenticated" and body["message"]


@pytest.mark.parametrize("header", ["Bearer ws_not-a-real-token", "Bearer", "Bearer a b"])
def test_an_unknown_or_malformed_token_is_401(county, header):
    response = APIClient().get(VILLAGES, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_an_expired_token_is_refused_with_its_date(make_token, county):
    token = make_token()
    expired = timezone.now() - timedelta(minutes=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=expired)
    response = APIClient().get(VILLAGES, HTTP_AUTHORIZATION=f"Bearer {token.key}")
    assert response.status_code == 401
    # The message names the date the token expired (the one just stored), not the one it was made with.
    assert timezone.localtime(expired).strftime("%Y-%m-%d") in response.json()["message"]


def test_a_revoked_token_stops_working_at_once(make_token, county, admin_user):
    from wenshang.api.tokens import revoke

    token = make_token(read_only=False)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.key}")
    assert client.get(VILLAGES).status_code == 200
    revoke(token, by=admin_user)
    response = client.get(VILLAGES)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    token.refresh_from_db()
    assert token.revoked_by == admin_user and token.state == "revoked" and not token.user.is_active


def test_last_use_is_recorded_at_most_once_a_minute(make_token, county, django_assert_num_queries):
    token = make_token()
    assert token.last_used_at is None
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.key}")
    client.get(VILLAGES)
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get(VILLAGES)
    token.refresh_from_db()
    assert token.last_used_at == first  # no write for a second request within the minute
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - auth.LAST_USED_EVERY)
    client.get(VILLAGES)
    token.refresh_from_db()
    assert token.last_used_at > first


def test_throttling_is_per_token(make_token, county, monkeypatch):
    monkeypatch.setattr(auth.TokenRateThrottle, "THROTTLE_RATES", {"api": "3/min"})
    busy, other = make_token("甲"), make_token("乙")
    client = APIClient()
    for _ in range(3):
        assert client.get(VILLAGES, HTTP_AUTHORIZATION=f"Bearer {busy.key}").status_code == 200
    response = client.get(VILLAGES, HTTP_AUTHORIZATION=f"Bearer {busy.key}")
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "throttled" and body["retry_after"] >= 1 and int(response["Retry-After"]) >= 1
    assert client.get(VILLAGES, HTTP_AUTHORIZATION=f"Bearer {other.key}").status_code == 200  # another token is not held up


def test_a_read_only_token_never_writes(make_token, village_a):
    token = make_token(read_only=True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.key}")
    response = client.patch(f"{VILLAGES}{village_a.pk}/", {"name": "改名"}, format="json")
    assert response.status_code == 403
    assert "只读" in response.json()["message"] or "read-only" in response.json()["message"]
    village_a.refresh_from_db()
    assert village_a.name == "东石楼村"


def test_the_browser_session_keeps_working_and_needs_csrf_to_write(client, users, village_a):
    client.force_login(users["staff_a"])
    response = client.get(VILLAGES)
    assert response.status_code == 200 and [r["id"] for r in response.json()["results"]] == [village_a.pk]
    csrf_client = APIClient(enforce_csrf_checks=True)
    csrf_client.force_login(users["staff_a"])
    response = csrf_client.patch(f"{VILLAGES}{village_a.pk}/", {"name": "改名"}, format="json")
    assert response.status_code == 403 and "CSRF" in response.json()["message"]


def test_a_token_account_cannot_log_in_to_the_portal(make_token, county, client):
    token = make_token()
    assert not client.login(username=token.user.username, password="")
    response = client.post(reverse("login"), {"username": token.user.username, "password": "anything"})
    assert response.status_code == 200 and "_auth_user_id" not in client.session


# -- the administrators' page -------------------------------------------------------------------
def test_an_administrator_makes_a_token_on_the_page_and_sees_it_once(client, users, township_a):
    client.force_login(users["admin_user"])
    page = client.get(reverse("api_token_list"))
    assert page.status_code == 200
    response = client.post(reverse("api_token_list"), {"name": "农商银行信贷系统", "township": township_a.pk, "access": "write",
                                                        "expires_days": 180})
    token = ApiToken.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("api_token_created", args=[token.pk])
    response = client.get(response["Location"])
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    key = response.context["key"]
    assert key in response.content.decode() and key.startswith("ws_")
    # a reload shows the token no more, and makes no second one
    again = client.get(reverse("api_token_created", args=[token.pk]), follow=True)
    assert key not in again.content.decode() and ApiToken.objects.count() == 1
    assert token.name == "农商银行信贷系统" and not token.read_only and token.township == township_a
    assert token.created_by == users["admin_user"]
    listing = client.get(reverse("api_token_list")).content.decode()
    assert token.prefix in listing and key not in listing  # the list shows the beginning only
    # the client's account is not listed among the people
    assert token.user.username not in client.get(reverse("user_list")).content.decode()


def test_the_page_says_what_is_wrong_next_to_the_field(client, users, county):
    client.force_login(users["admin_user"])
    response = client.post(reverse("api_token_list"), {"name": "  ", "access": "read", "expires_days": -3})
    assert response.status_code == 400
    form = response.context["form"]
    assert "name" in form.errors and "expires_days" in form.errors
    assert ApiToken.objects.count() == 0


def test_an_administrator_revokes_a_token_on_the_page(client, users, make_token, county):
    token = make_token()
    client.force_login(users["admin_user"])
    response = client.post(reverse("api_token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert APIClient().get(VILLAGES, HTTP_AUTHORIZATION=f"Bearer {token.key}").status_code == 401


@pytest.mark.parametrize("name", ["official", "staff_a", "finance_editor"])
def test_only_administrators_manage_tokens(client, users, make_token, county, name):
    token = make_token()
    client.force_login(users[name])
    assert client.get(reverse("api_token_list")).status_code == 403
    assert client.post(reverse("api_token_list"), {"name": "x", "access": "write", "expires_days": 1}).status_code == 403
    assert client.post(reverse("api_token_revoke", args=[token.pk])).status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None and ApiToken.objects.count() == 1


def test_the_page_that_shows_a_new_token_takes_no_post(client, users, make_token, county):
    token = make_token()
    client.force_login(users["admin_user"])
    assert client.post(reverse("api_token_created", args=[token.pk])).status_code == 405
    assert ApiToken.objects.count() == 1
