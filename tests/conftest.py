"""Shared fixtures: the county, two townships with one village each, and a user for every role.

Everything here is small and generic so that model, form, API and import tests can reuse it.

Geography::

    county      370830        汶上县
    township_a  370830104     寅寺镇   village_a 370830104201 东石楼村
    township_b  370830102     南旺镇   village_b 370830102201 南旺村

Users (``wenshang.User``; all passwords are ``PASSWORD``; the portal roles are ``is_staff`` so
that they can log in through the admin login page, ``settings.LOGIN_URL``):

    admin_user      county administrator, whole county
    official        county official, whole county
    finance_editor  department editor, domain ``finance``
    staff_a         township staff of township A
    staff_b         township staff of township B
    superuser       Django superuser (role official, so only the flag grants rights)
    inactive_user   a county administrator whose account is disabled

``admin_user`` overrides pytest-django's fixture of the same name: it is the portal's county
administrator (role ``admin``), not a superuser. Use ``superuser`` for the latter.
"""
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.test import TransactionTestCase
from django.utils import translation

from villages.models import County, Township, Village
from wenshang.kernel.choices import Domain, Role
from wenshang.kernel.models import User

PASSWORD = "test-password-123"


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the portal's language: a request made in English (the language cookie)
    leaves the thread's language active after it, which would change the messages of the next test."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(scope="session")
def demo_county(django_db_setup, django_db_blocker):
    """The demo county (``load_demo``: 15 townships, 346 villages, 199,900 parcels), built once per
    test run for every test that uses it, and flushed at the end. Its tests run after all the
    others (``pytest_collection_modifyitems``), so the rest of the suite starts from an empty
    database. Returns what ``load_demo`` printed."""
    with django_db_blocker.unblock():
        out = StringIO()
        call_command("load_demo", stdout=out)
    # Live-server (transactional) tests flush the database after themselves; on the demo county,
    # which they run after every other test, that would mean a build for each: they keep it.
    flush_after_test = TransactionTestCase._fixture_teardown
    TransactionTestCase._fixture_teardown = lambda self: None
    try:
        yield out.getvalue()
    finally:
        TransactionTestCase._fixture_teardown = flush_after_test
        with django_db_blocker.unblock():
            call_command("flush", interactive=False, verbosity=0)


@pytest.hookimpl(trylast=True)  # after pytest's own grouping by fixture, which would undo it
def pytest_collection_modifyitems(config, items):
    """Tests on the demo county run last, in their usual order, so that it is built once; those
    that flush the database after themselves (live-server tests) run last of all."""

    def rank(item):
        if "demo_county" not in getattr(item, "fixturenames", ()):
            return 0
        marker = item.get_closest_marker("django_db")
        return 2 if marker is not None and marker.kwargs.get("transaction") else 1

    items.sort(key=rank)


@pytest.fixture
def county(db):
    return County.objects.create(code="370830", name="汶上县")


@pytest.fixture
def township_a(county):
    return Township.objects.create(county=county, code="370830104", name="寅寺镇")


@pytest.fixture
def township_b(county):
    return Township.objects.create(county=county, code="370830102", name="南旺镇")


@pytest.fixture
def village_a(township_a):
    return Village.objects.create(township=township_a, code="370830104201", name="东石楼村")


@pytest.fixture
def village_b(township_b):
    return Village.objects.create(township=township_b, code="370830102201", name="南旺村")


@pytest.fixture
def make_user(db):
    """``make_user("name", role=..., township=..., domain=..., **extra)`` → a saved portal user."""

    def make(username, role=Role.OFFICIAL, township=None, domain="", **extra):
        extra.setdefault("is_staff", True)
        user = User(username=username, role=role, township=township, domain=domain, **extra)
        user.set_password(PASSWORD)
        user.full_clean(exclude=["password"])
        user.save()
        return user

    return make


@pytest.fixture
def admin_user(make_user):
    return make_user("county_admin", role=Role.ADMIN)


@pytest.fixture
def official(make_user):
    return make_user("county_official", role=Role.OFFICIAL)


@pytest.fixture
def finance_editor(make_user):
    return make_user("finance_editor", role=Role.EDITOR, domain=Domain.FINANCE)


@pytest.fixture
def staff_a(make_user, township_a):
    return make_user("staff_a", role=Role.TOWNSHIP, township=township_a)


@pytest.fixture
def staff_b(make_user, township_b):
    return make_user("staff_b", role=Role.TOWNSHIP, township=township_b)


@pytest.fixture
def superuser(make_user):
    # The role alone (official) would allow no change: the superuser flag is what counts.
    return make_user("root", role=Role.OFFICIAL, is_superuser=True)


@pytest.fixture
def inactive_user(make_user):
    return make_user("former_admin", role=Role.ADMIN, is_active=False)


@pytest.fixture
def anonymous():
    return AnonymousUser()


ROLE_FIXTURES = (
    "admin_user",
    "official",
    "finance_editor",
    "staff_a",
    "staff_b",
    "superuser",
    "inactive_user",
    "anonymous",
)


@pytest.fixture
def users(request):
    """Every user fixture above by its fixture name (``users["staff_a"]``)."""
    return {name: request.getfixturevalue(name) for name in ROLE_FIXTURES}


@pytest.fixture
def make_token(db):
    """``make_token(name, township=None, read_only=True, expires_days=30, personal_data=False)`` → an
    ``ApiToken`` with its ``key`` (the only copy of the token)."""
    from wenshang.api.tokens import create_token

    def make(name="测试系统", township=None, read_only=True, expires_days=30, personal_data=False):
        token, key = create_token(name=name, township=township, read_only=read_only, expires_days=expires_days,
                                  personal_data=personal_data)
        token.key = key
        return token

    return make


@pytest.fixture
def factory(db):
    """``factory(Model, township, n=0, **overrides)`` → a valid saved record of any registered entity
    in ``township`` (``tests.factories.make``)."""
    from tests.factories import make

    return make
