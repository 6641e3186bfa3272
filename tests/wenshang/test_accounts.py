"""Accounts: login and its lockout, session time limits, password change, and user management."""
import re
import time
import uuid
from unittest import mock

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, ngettext

from tests.conftest import PASSWORD
from wenshang.accounts import views as accounts
from wenshang.kernel.choices import Domain, Role
from wenshang.kernel.models import User

LOGIN = "/accounts/login/"
NEW_PASSWORD = "Wenshang-new-pass-2024"


@pytest.fixture
def clock():
    """Shift ``time.time`` (the lockout and session stamps read it) by ``clock.advance(seconds)``."""
    real = time.time

    class Clock:
        offset = 0.0

        def advance(self, seconds):
            self.offset += seconds

    c = Clock()
    with mock.patch("time.time", new=lambda: real() + c.offset):
        yield c


@pytest.fixture
def address():
    """An address of its own for each test, so that lockouts never leak between tests or runs
    sharing a Redis cache."""
    n = uuid.uuid4().int
    return f"10.{n % 250 + 1}.{n // 250 % 250 + 1}.{n // 62500 % 250 + 1}"


def zh(message_factory, *args):
    with translation.override("zh-hans"):
        return message_factory(*args)


def login(client, username, password, addr="127.0.0.1", **extra):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=addr, **extra)


def logged_in(client):
    return "_auth_user_id" in client.session


def lockout_text(minutes):
    return zh(accounts.lockout_message, minutes * 60)


# -- login and logout -----------------------------------------------------------------------------


def test_login_page_is_chinese_with_the_language_switch(client, db):
    page = client.get(LOGIN).content.decode()
    assert "登录" in page and "用户名" in page and "密码" in page
    assert 'name="language" value="en"' in page


def test_login_lands_on_the_home_page(client, admin_user):
    response = login(client, admin_user.username, PASSWORD)
    assert response.status_code == 302 and response.url == "/"
    assert logged_in(client)
    assert client.get("/").status_code == 200


def test_wrong_password_shows_a_chinese_error_on_the_form(client, admin_user):
    response = login(client, admin_user.username, "wrong-password")
    assert response.status_code == 200
    page = response.content.decode()
    assert "请输入一个正确的用户名和密码" in page
    assert "alert-danger" in page
    assert not logged_in(client)


def test_logout(client, admin_user):
    login(client, admin_user.username, PASSWORD)
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response.url == reverse("login")
    assert not logged_in(client)


def test_inactive_account_cannot_log_in(client, inactive_user):
    response = login(client, inactive_user.username, PASSWORD)
    assert response.status_code == 200 and not logged_in(client)


# -- lockout --------------------------------------------------------------------------------------


def fail(client, username, addr, times):
    response = None
    for _ in range(times):
        response = login(client, username, "wrong-password", addr)
        assert response.status_code == 200
    return response


def test_five_failures_lock_the_name_and_address_for_fifteen_minutes(client, admin_user, address, clock):
    assert settings.LOGIN_FAILURE_LIMIT == 5 and settings.LOGIN_LOCKOUT_MINUTES == 15
    fourth = fail(client, admin_user.username, address, 4).content.decode()
    assert lockout_text(15) not in fourth
    fifth = fail(client, admin_user.username, address, 1).content.decode()
    assert lockout_text(15) in fifth

    # The right password is refused during the lockout, and the page says for how long.
    response = login(client, admin_user.username, PASSWORD, address)
    assert response.status_code == 200 and not logged_in(client)
    assert lockout_text(15) in response.content.decode()
    clock.advance(5 * 60)
    response = login(client, admin_user.username, PASSWORD, address)
    assert not logged_in(client)
    assert lockout_text(10) in response.content.decode()

    # The same name from another address is not locked.
    other = Client()
    assert login(other, admin_user.username, PASSWORD, "192.0.2.77").status_code == 302
    assert logged_in(other)

    # After the 15 minutes the right password works again.
    clock.advance(10 * 60 + 1)
    response = login(client, admin_user.username, PASSWORD, address)
    assert response.status_code == 302 and response.url == "/"
    assert logged_in(client)


def test_the_lockout_does_not_reveal_whether_the_account_exists(client, admin_user, address):
    fail(client, admin_user.username, address, 5)
    fail(client, "no-such-user", address, 5)
    existing = login(client, admin_user.username, PASSWORD, address).content.decode()
    missing = login(client, "no-such-user", PASSWORD, address).content.decode()
    assert lockout_text(15) in existing and lockout_text(15) in missing
    # The same page apart from the user name typed in (and the CSRF token).
    def normalized(page, username):
        return re.sub(r'value="[A-Za-z0-9]{64}"', "", page.replace(username, "X"))

    assert normalized(existing, admin_user.username) == normalized(missing, "no-such-user")


def test_a_successful_login_clears_the_counter(client, admin_user, address):
    fail(client, admin_user.username, address, 4)
    assert login(client, admin_user.username, PASSWORD, address).status_code == 302
    client.post(reverse("logout"))
    fail(client, admin_user.username, address, 4)
    assert login(client, admin_user.username, PASSWORD, address).status_code == 302


def test_the_lockout_covers_the_admin_login_too(client, admin_user, address):
    fail(client, admin_user.username, address, 5)
    response = client.post(
        "/admin/login/", {"username": admin_user.username, "password": PASSWORD, "next": "/admin/"}, REMOTE_ADDR=address
    )
    assert response.status_code == 200 and not logged_in(client)


def test_x_forwarded_for_is_ignored_unless_configured(client, admin_user, address, settings):
    fail(client, admin_user.username, address, 5)
    response = login(client, admin_user.username, PASSWORD, address, HTTP_X_FORWARDED_FOR="192.0.2.1")
    assert response.status_code == 200 and not logged_in(client)

    # Behind one reverse proxy (REMOTE_ADDR is the proxy) the address is the entry the proxy added.
    settings.LOGIN_LOCKOUT_PROXY_COUNT = 1
    proxy = "10.255.255.254"
    for _ in range(5):
        login(client, admin_user.username, "wrong", proxy, HTTP_X_FORWARDED_FOR=f"1.2.3.4, {address}")
    # A forged left-hand entry changes nothing: still the same client, still locked.
    assert login(client, admin_user.username, PASSWORD, proxy, HTTP_X_FORWARDED_FOR=f"5.6.7.8, {address}").status_code == 200
    assert login(client, admin_user.username, PASSWORD, proxy, HTTP_X_FORWARDED_FOR="192.0.2.9").status_code == 302


# -- session time limits --------------------------------------------------------------------------


def test_idle_sessions_end_after_thirty_minutes(client, admin_user, clock):
    assert settings.SESSION_IDLE_TIMEOUT == 30 * 60
    login(client, admin_user.username, PASSWORD)
    clock.advance(29 * 60)
    assert client.get(reverse("password_change")).status_code == 200
    clock.advance(29 * 60)  # 58 minutes after login, but never 30 idle
    assert client.get(reverse("password_change")).status_code == 200

    clock.advance(31 * 60)
    response = client.get(reverse("password_change"))
    assert response.status_code == 302
    assert response.url == f"{LOGIN}?next={reverse('password_change')}"
    assert not logged_in(client)
    page = client.get(response.url).content.decode()
    with translation.override("zh-hans"):
        expected = ngettext(
            "You have been inactive for %(minutes)d minute; please log in again.",
            "You have been inactive for %(minutes)d minutes; please log in again.",
            30,
        ) % {"minutes": 30}
    assert expected in page


def test_sessions_end_after_twelve_hours_whatever_the_activity(client, admin_user, clock):
    assert settings.SESSION_ABSOLUTE_TIMEOUT == 12 * 60 * 60
    assert settings.SESSION_COOKIE_AGE <= 12 * 60 * 60
    login(client, admin_user.username, PASSWORD)
    for _ in range(12 * 3 - 1):  # a request every 20 minutes for 11 h 40 min
        clock.advance(20 * 60)
        assert client.get(reverse("password_change")).status_code == 200
    clock.advance(20 * 60 + 1)
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith(LOGIN)
    assert not logged_in(client)
    page = client.get(response.url).content.decode()
    with translation.override("zh-hans"):
        expected = ngettext(
            "You have been logged in for %(hours)d hour; please log in again.",
            "You have been logged in for %(hours)d hours; please log in again.",
            12,
        ) % {"hours": 12}
    assert expected in page


def test_the_activity_stamp_is_written_at_most_once_a_minute(client, admin_user, clock):
    login(client, admin_user.username, PASSWORD)
    first = client.session[accounts.ACTIVE_AT]
    clock.advance(30)
    client.get(reverse("password_change"))
    assert client.session[accounts.ACTIVE_AT] == first
    clock.advance(31)
    client.get(reverse("password_change"))
    assert client.session[accounts.ACTIVE_AT] > first


def test_sessions_without_stamps_are_stamped_not_ended(client, admin_user):
    client.force_login(admin_user)
    session = client.session
    session.pop(accounts.LOGIN_AT, None)
    session.pop(accounts.ACTIVE_AT, None)
    session.save()
    assert client.get("/").status_code == 200
    assert accounts.LOGIN_AT in client.session


# -- password change ------------------------------------------------------------------------------


def test_password_change(client, admin_user):
    login(client, admin_user.username, PASSWORD)
    page = client.get(reverse("password_change")).content.decode()
    assert "修改密码" in page
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302 and response.url == reverse("password_change_done")
    assert logged_in(client)  # still logged in after the change
    admin_user.refresh_from_db()
    assert admin_user.check_password(NEW_PASSWORD)
    other = Client()
    assert login(other, admin_user.username, NEW_PASSWORD).status_code == 302


def test_password_change_shows_errors_next_to_the_fields(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("password_change"), {"old_password": "wrong", "new_password1": "123", "new_password2": "456"}
    )
    assert response.status_code == 200
    assert response.content.decode().count("invalid-feedback") >= 2
    admin_user.refresh_from_db()
    assert admin_user.check_password(PASSWORD)


# -- user management ------------------------------------------------------------------------------


def user_data(**changes):
    data = {
        "username": "new_staff",
        "first_name": "王芳",
        "role": Role.TOWNSHIP,
        "township": "",
        "domain": "",
        "is_active": "on",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def edit_data(user, **changes):
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "role": user.role,
        "township": user.township_id or "",
        "domain": user.domain,
        "password1": "",
        "password2": "",
    }
    if user.is_active:
        data["is_active"] = "on"
    if user.sees_personal_data:
        data["sees_personal_data"] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_administrators_see_the_users_link(client, admin_user, official):
    client.force_login(admin_user)
    assert reverse("user_list") in client.get("/").content.decode()
    client.force_login(official)
    assert reverse("user_list") not in client.get("/").content.decode()


def test_admin_lists_filters_and_searches_users(client, users, township_a):
    client.force_login(users["admin_user"])
    page = client.get(reverse("user_list")).content.decode()
    for name in ("county_admin", "county_official", "finance_editor", "staff_a", "staff_b", "former_admin"):
        assert name in page
    assert "全县" in page and "寅寺镇" in page

    page = client.get(reverse("user_list"), {"role": Role.TOWNSHIP}).content.decode()
    assert "staff_a" in page and "staff_b" in page and "county_official" not in page
    page = client.get(reverse("user_list"), {"township": township_a.pk}).content.decode()
    assert "staff_a" in page and "staff_b" not in page
    page = client.get(reverse("user_list"), {"township": "null"}).content.decode()
    assert "county_official" in page and "staff_a" not in page
    page = client.get(reverse("user_list"), {"q": "finance"}).content.decode()
    assert "finance_editor" in page and "staff_a" not in page
    page = client.get(reverse("user_list"), {"is_active": "false"}).content.decode()
    assert "former_admin" in page and "staff_a" not in page


def test_admin_creates_a_user(client, admin_user, township_a):
    client.force_login(admin_user)
    assert client.get(reverse("user_add")).status_code == 200
    response = client.post(reverse("user_add"), user_data(township=township_a.pk, sees_personal_data="on"))
    assert response.status_code == 302 and response.url == reverse("user_list")
    user = User.objects.get(username="new_staff")
    assert (user.role, user.township, user.first_name) == (Role.TOWNSHIP, township_a, "王芳")
    assert user.sees_personal_data and user.is_active and user.is_staff and not user.is_superuser
    assert user.check_password(NEW_PASSWORD)
    assert login(Client(), "new_staff", NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"township": ""}, "township"),  # township staff without a township (User.clean)
        ({"role": Role.EDITOR, "township": None, "domain": ""}, "domain"),  # an editor without a domain
        ({"password1": "12345678", "password2": "12345678"}, "password1"),  # the password validators
        ({"password2": "something-else-2024"}, "password2"),
        ({"password1": "", "password2": ""}, "password1"),  # a new account needs a password
        ({"username": "county_official"}, "username"),  # taken
        ({"username": "County_Official"}, "username"),  # taken, whatever the case
        ({"username": ""}, "username"),
    ],
)
def test_invalid_input_shows_field_errors_and_creates_nothing(client, admin_user, official, township_a, changes, field):
    client.force_login(admin_user)
    data = user_data(township=township_a.pk)
    data.update(changes)
    data = {k: v for k, v in data.items() if v is not None}
    before = User.objects.count()
    response = client.post(reverse("user_add"), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors
    assert "invalid-feedback" in response.content.decode()
    assert User.objects.count() == before


def test_model_validation_messages_are_shown_next_to_the_field(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("user_add"), user_data())
    with translation.override("zh-hans"):
        expected = gettext("Township staff must belong to a township.")
    assert response.context["form"].errors["township"] == [expected]
    assert expected in response.content.decode()


def test_admin_edits_a_user(client, admin_user, staff_a, township_b):
    client.force_login(admin_user)
    assert client.get(reverse("user_edit", args=[staff_a.pk])).status_code == 200
    response = client.post(reverse("user_edit", args=[staff_a.pk]), edit_data(staff_a, township=township_b.pk, first_name="李强"))
    assert response.status_code == 302
    staff_a.refresh_from_db()
    assert staff_a.township == township_b and staff_a.first_name == "李强"
    assert staff_a.check_password(PASSWORD)  # no new password: the old one stays

    response = client.post(
        reverse("user_edit", args=[staff_a.pk]),
        edit_data(staff_a, role=Role.EDITOR, township="", domain=Domain.FINANCE, password1=NEW_PASSWORD, password2=NEW_PASSWORD),
    )
    assert response.status_code == 302
    staff_a.refresh_from_db()
    assert (staff_a.role, staff_a.township, staff_a.domain) == (Role.EDITOR, None, Domain.FINANCE)
    assert staff_a.check_password(NEW_PASSWORD)


def test_admin_deactivates_instead_of_deleting(client, admin_user, staff_a):
    client.force_login(admin_user)
    data = edit_data(staff_a)
    del data["is_active"]
    assert client.post(reverse("user_edit", args=[staff_a.pk]), data).status_code == 302
    staff_a.refresh_from_db()
    assert not staff_a.is_active
    assert User.objects.filter(pk=staff_a.pk).exists()
    assert login(Client(), staff_a.username, PASSWORD).status_code == 200  # cannot log in any more


def test_admin_cannot_deactivate_themselves_or_drop_their_role(client, admin_user):
    client.force_login(admin_user)
    data = edit_data(admin_user)
    del data["is_active"]
    response = client.post(reverse("user_edit", args=[admin_user.pk]), data)
    assert response.status_code == 200 and "is_active" in response.context["form"].errors
    response = client.post(reverse("user_edit", args=[admin_user.pk]), edit_data(admin_user, role=Role.OFFICIAL))
    assert response.status_code == 200 and "role" in response.context["form"].errors
    admin_user.refresh_from_db()
    assert admin_user.is_active and admin_user.role == Role.ADMIN


def test_admin_changes_their_own_password_and_stays_logged_in(client, admin_user):
    client.force_login(admin_user)
    data = edit_data(admin_user, password1=NEW_PASSWORD, password2=NEW_PASSWORD)
    assert client.post(reverse("user_edit", args=[admin_user.pk]), data).status_code == 302
    assert client.get(reverse("user_list")).status_code == 200


def test_nobody_becomes_a_superuser_here(client, admin_user, staff_a):
    client.force_login(admin_user)
    assert "is_superuser" not in client.get(reverse("user_add")).content.decode()
    client.post(reverse("user_edit", args=[staff_a.pk]), edit_data(staff_a, is_superuser="on", is_staff=""))
    client.post(reverse("user_add"), user_data(username="sneaky", role=Role.ADMIN, township=None, is_superuser="on"))
    staff_a.refresh_from_db()
    assert not staff_a.is_superuser and staff_a.is_staff
    assert not User.objects.get(username="sneaky").is_superuser


def test_admins_cannot_edit_a_superuser(client, admin_user, superuser):
    client.force_login(admin_user)
    assert client.get(reverse("user_edit", args=[superuser.pk])).status_code == 403
    assert client.post(reverse("user_edit", args=[superuser.pk]), edit_data(superuser, first_name="x")).status_code == 403
    superuser.refresh_from_db()
    assert superuser.first_name == ""


def test_superusers_manage_users(client, superuser, staff_a):
    client.force_login(superuser)
    assert client.get(reverse("user_list")).status_code == 200
    assert client.post(reverse("user_edit", args=[staff_a.pk]), edit_data(staff_a, first_name="张三")).status_code == 302


def test_a_township_scoped_admin_manages_only_their_township(client, make_user, township_a, township_b, staff_a, staff_b):
    local_admin = make_user("local_admin", role=Role.ADMIN, township=township_a)
    client.force_login(local_admin)
    page = client.get(reverse("user_list")).content.decode()
    assert "staff_a" in page and "staff_b" not in page
    assert client.get(reverse("user_edit", args=[staff_b.pk])).status_code == 404
    response = client.post(reverse("user_add"), user_data(township=township_b.pk))
    assert response.status_code == 200 and "township" in response.context["form"].errors
    response = client.post(reverse("user_add"), user_data(role=Role.OFFICIAL, township=""))
    assert response.status_code == 200 and "township" in response.context["form"].errors
    assert not User.objects.filter(username="new_staff").exists()
    assert client.post(reverse("user_add"), user_data(township=township_a.pk)).status_code == 302


@pytest.mark.parametrize("name", ["official", "finance_editor", "staff_a", "staff_b"])
def test_others_get_403_on_every_user_page_and_nothing_changes(client, users, township_a, name):
    client.force_login(users[name])
    target = users["staff_a"]
    before = list(User.objects.order_by("pk").values())
    assert client.get(reverse("user_list")).status_code == 403
    assert client.get(reverse("user_add")).status_code == 403
    assert client.post(reverse("user_add"), user_data(township=township_a.pk)).status_code == 403
    assert client.get(reverse("user_edit", args=[target.pk])).status_code == 403
    data = edit_data(target, first_name="改名")
    del data["is_active"]
    assert client.post(reverse("user_edit", args=[target.pk]), data).status_code == 403
    assert list(User.objects.order_by("pk").values()) == before


def test_anonymous_users_are_sent_to_the_login_page(client, admin_user):
    for url in (reverse("user_list"), reverse("user_add"), reverse("user_edit", args=[admin_user.pk])):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(LOGIN)
