"""Reads on a PostgreSQL streaming replica (``DATABASE_REPLICA_URL``, ``wenshang.kernel.routers``).

The routing rules are checked here on any machine; the rest runs against a real streaming replica
and is skipped without one. CI starts one (``.ci/replica``: cluster ``<version>/replica`` on port
5433, ``pg_basebackup -R`` from the primary) and sets ``DATABASE_REPLICA_URL``. By hand::

    .ci/replica
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wenshang \\
    DATABASE_REPLICA_URL=postgres://postgres@127.0.0.1:5433/wenshang \\
        .venv/bin/python -m pytest tests/wenshang/test_replica.py

To tell the replica's answers from the primary's, tests pause the replica's replay
(``pg_wal_replay_pause()``): a row written on the primary then is on the primary only, so whether a
page shows it says which database it read. Transactional tests: the rows must really be committed
for the replica to receive them. Run them in one process (the pause holds for every reader of the
replica; ``make test`` does, ``.ci/replica`` resumes a replay a killed run left paused).
"""
import logging
import re
import time

import pytest
from django.conf import settings
from django.db import DatabaseError, OperationalError, connections, transaction
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from finance.models import Homestead
from tests.api.test_writes import parcel_body
from tests.finance.test_views import homestead
from tests.reports.fixtures import reports_dir  # noqa: F401 - a fixture
from villages.models import Village
from wenshang.kernel import routers
from wenshang.kernel.models import User
from wenshang.reports import data as report_data
from wenshang.reports import services as report_services

REPLICA = routers.REPLICA
PARCELS = "/api/v1/finance/homesteads/"
HAS_REPLICA = REPLICA in settings.DATABASES
needs_replica = pytest.mark.skipif(
    not HAS_REPLICA,
    reason="DATABASE_REPLICA_URL is not set: no streaming replica to test against (CI starts one with .ci/replica)",
)
on_both = pytest.mark.django_db(transaction=True, databases=["default", REPLICA] if HAS_REPLICA else ["default"])


# -- the rules, on any machine ---------------------------------------------------------------------


@pytest.fixture
def rules(monkeypatch, settings):
    """The router and the middleware as if a usable replica were configured (no query is made)."""
    monkeypatch.setattr(routers, "configured", lambda: True)
    monkeypatch.setattr(routers, "usable", lambda: True)
    settings.DATABASE_REPLICA_PIN_SECONDS = 10
    return routers.ReplicaRouter()


def test_reads_go_to_the_replica_only_in_a_replica_block(rules):
    assert rules.db_for_read(Village) == "default"
    with routers.replica_reads():
        assert rules.db_for_read(Village) == REPLICA
        assert rules.db_for_read(Homestead) == REPLICA
        # who is logged in, with which rights and token: always the primary
        assert rules.db_for_read(User) == "default"
        assert rules.db_for_write(Village) == "default"
        assert rules.db_for_read(Village) == REPLICA  # replica_reads() is not undone by its own writes
        with routers.primary_reads():
            assert rules.db_for_read(Village) == "default"
    assert rules.db_for_read(Village) == "default"
    assert rules.allow_migrate(REPLICA, "villages") is False
    assert rules.allow_migrate("default", "villages") is None


def test_which_requests_read_the_replica(rules):
    middleware = routers.ReplicaReadsMiddleware(lambda request: None)
    get = RequestFactory().get
    for path in ("/", "/dashboard/periods/", "/dashboard/map/data/", "/reports/coverage/", PARCELS):
        assert middleware.wants_replica(get(path)), path
    for path in ("/villages/villages/", "/finance/homesteads/", "/admin/", "/accounts/login/", "/imports/", "/search/"):
        assert not middleware.wants_replica(get(path)), path
    assert not middleware.wants_replica(RequestFactory().post(PARCELS))


def test_a_client_that_wrote_is_pinned_to_the_primary(rules, settings):
    factory = RequestFactory()
    middleware = routers.ReplicaReadsMiddleware(lambda request: None)
    post = factory.post(PARCELS, HTTP_AUTHORIZATION="Bearer ws_test_pin")
    response = routers.ReplicaReadsMiddleware(lambda request: HttpResponse())(post)
    cookie = response.cookies[routers.PIN_COOKIE]
    assert cookie["max-age"] == 10 and cookie["httponly"]
    browser = factory.get("/")
    browser.COOKIES[routers.PIN_COOKIE] = cookie.value
    assert routers.pinned(browser) and not middleware.wants_replica(browser)
    browser.COOKIES[routers.PIN_COOKIE] = f"{time.time() - 11:.3f}"  # written 11 s ago
    assert not routers.pinned(browser)
    browser.COOKIES[routers.PIN_COOKIE] = "not a time"
    assert not routers.pinned(browser)
    token_client = factory.get(PARCELS, HTTP_AUTHORIZATION="Bearer ws_test_pin")  # no cookie jar: the cache
    assert routers.pinned(token_client) and not middleware.wants_replica(token_client)
    assert not routers.pinned(factory.get(PARCELS, HTTP_AUTHORIZATION="Bearer ws_another"))


def test_without_a_replica_nothing_changes(settings):
    if HAS_REPLICA and settings.DATABASE_REPLICA_READS:
        pytest.skip("reads are on")
    assert not routers.configured()
    with pytest.raises(routers.MiddlewareNotUsed):
        routers.ReplicaReadsMiddleware(lambda request: None)
    with routers.replica_reads():
        assert routers.ReplicaRouter().db_for_read(Village) == "default"


# -- against a real streaming replica --------------------------------------------------------------


def on_replica(sql, params=()):
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def caught_up(timeout=15):
    """Wait until the replica has replayed everything the primary has written; returns the seconds waited."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        (lsn,) = cursor.fetchone()
    started = time.monotonic()
    while not on_replica("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn]):
        assert time.monotonic() - started < timeout, f"the replica did not replay {lsn} in {timeout} s"
        time.sleep(0.005)
    return time.monotonic() - started


@pytest.fixture
def replica(settings):
    """Reads on the replica as in production, checked at every request."""
    if not HAS_REPLICA:
        pytest.skip("DATABASE_REPLICA_URL is not set")
    settings.DATABASE_REPLICA_READS = True
    settings.DATABASE_REPLICA_CHECK_SECONDS = 0
    settings.DATABASE_REPLICA_PIN_SECONDS = 10
    settings.DATABASE_REPLICA_MAX_LAG = 30
    routers._health.update(checked=float("-inf"), usable=True)
    from django.core.cache import cache

    cache.clear()
    yield
    routers._health.update(checked=float("-inf"), usable=True)


@pytest.fixture
def paused(replica):
    """The replica's replay paused (it still receives the primary's WAL, and answers reads)."""
    caught_up()
    on_replica("SELECT pg_wal_replay_pause()::text")
    deadline = time.monotonic() + 10
    while on_replica("SELECT pg_get_wal_replay_pause_state()") != "paused":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    try:
        yield
    finally:
        on_replica("SELECT pg_wal_replay_resume()::text")


def figure(html, key):
    match = re.search(rf'data-figure="{key}" data-value="([^"]*)"', html)
    assert match, key
    return match.group(1)


def listed(client, village, **headers):
    response = client.get(PARCELS, {"village": village.pk, "page_size": 1000}, **headers)
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@needs_replica
@on_both
def test_the_replica_streams_from_the_primary_and_refuses_writes(replica, village_a):
    assert on_replica("SELECT pg_is_in_recovery()") is True
    assert on_replica("SELECT status FROM pg_stat_wal_receiver") == "streaming"
    # the tests' database is the primary's, seen through the replica: none was made for it
    assert connections[REPLICA].settings_dict["NAME"] == connections["default"].settings_dict["NAME"]
    parcel = homestead(village_a.township, v=village_a)
    waited = caught_up()
    assert Homestead.objects.using(REPLICA).filter(pk=parcel.pk).exists()
    print(f"replicated in {waited * 1000:.1f} ms")
    with pytest.raises(DatabaseError, match="read-only"):
        Homestead.objects.using(REPLICA).filter(pk=parcel.pk).update(area=1)
    with pytest.raises(DatabaseError, match="read-only"), connections[REPLICA].cursor() as cursor:
        cursor.execute("CREATE TABLE nothing (id int)")
    assert routers.lag() is not None and routers.lag() < settings.DATABASE_REPLICA_MAX_LAG


@needs_replica
@on_both
def test_the_dashboard_the_api_and_the_board_read_the_replica(replica, client, official, village_a, paused, settings):
    settings.DATABASE_REPLICA_MAX_LAG = 8  # long enough for the reads while paused on a busy machine
    first = homestead(village_a.township, v=village_a)
    on_replica("SELECT pg_wal_replay_resume()::text")
    caught_up()
    on_replica("SELECT pg_wal_replay_pause()::text")
    client.force_login(official)  # a session written outside a request: no pin
    second = homestead(village_a.township, n=1, v=village_a)  # on the primary only

    with CaptureQueriesContext(connections[REPLICA]) as on_r, CaptureQueriesContext(connections["default"]) as on_p:
        assert listed(client, village_a) == {first.pk}
        page = client.get("/")
        assert page.status_code == 200
        assert figure(page.content.decode(), "homestead_parcels") == "1"
        assert client.get(reverse("dashboard:periods")).status_code == 200
        assert client.get("/reports/coverage/").status_code == 200
    read_on_replica = " ".join(q["sql"] for q in on_r.captured_queries)
    read_on_primary = " ".join(q["sql"] for q in on_p.captured_queries)
    assert "finance_homestead" in read_on_replica and "villages_village" in read_on_replica
    assert "finance_homestead" not in read_on_primary and "villages_village" not in read_on_primary
    assert "django_session" in read_on_primary and "django_session" not in read_on_replica  # who is logged in: the primary

    # Pages outside the replica's paths read the primary.
    assert second.parcel_code in client.get("/finance/homesteads/").content.decode()

    # Once the replica has replayed the write, the API shows it at once; the dashboard's figure
    # computed from the old rows is kept no longer than the replica's allowed lag and check interval
    # after the write (wenshang.dashboard.data: what is computed on the replica that soon after a
    # write is cached only until then), and then shows it.
    on_replica("SELECT pg_wal_replay_resume()::text")
    caught_up()
    assert listed(client, village_a) == {first.pk, second.pk}
    window = settings.DATABASE_REPLICA_MAX_LAG + settings.DATABASE_REPLICA_CHECK_SECONDS
    deadline = time.monotonic() + window + 2
    while figure(client.get("/").content.decode(), "homestead_parcels") != "2":
        assert time.monotonic() < deadline, f"the dashboard kept the old figure more than {window} s"
        time.sleep(0.25)


@needs_replica
@on_both
def test_a_browser_that_wrote_reads_its_own_write(replica, client, staff_a, official, village_a, paused, settings):
    settings.DATABASE_REPLICA_PIN_SECONDS = 2
    client.force_login(staff_a)
    response = client.post(PARCELS, parcel_body(village_a, 1), content_type="application/json")
    assert response.status_code == 201, response.content
    new = response.json()["id"]
    assert routers.PIN_COOKIE in response.cookies
    assert not Homestead.objects.using(REPLICA).filter(pk=new).exists()  # not replayed

    assert new in listed(client, village_a)  # the writer: the primary
    other = Client()
    other.force_login(official)
    assert new not in listed(other, village_a)  # anybody else: the replica

    time.sleep(2.1)  # the pin has run out: the writer reads the replica again
    assert new not in listed(client, village_a)
    on_replica("SELECT pg_wal_replay_resume()::text")
    caught_up()
    assert new in listed(other, village_a)


@needs_replica
@on_both
def test_an_api_client_that_wrote_reads_its_own_write(replica, make_token, township_a, village_a, paused):
    bank, reader = APIClient(), APIClient()
    bank.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token('银行', township=township_a, read_only=False).key}")
    reader.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token('省平台').key}")
    response = bank.post(PARCELS, parcel_body(village_a, 1), format="json")
    assert response.status_code == 201, response.content
    new = response.json()["id"]
    assert new in listed(bank, village_a)  # pinned by its token (no cookie jar needed)
    assert new not in listed(reader, village_a)


@needs_replica
@on_both
def test_writes_reads_in_a_transaction_and_after_a_write_go_to_the_primary(replica, village_a, paused):
    with routers.replica_reads(), CaptureQueriesContext(connections[REPLICA]) as on_r:
        parcel = homestead(village_a.township, v=village_a)  # a write: the primary
        assert Homestead.objects.using("default").filter(pk=parcel.pk).exists()
        assert not Homestead.objects.filter(pk=parcel.pk).exists()  # a read: the replica, not replayed yet
        with transaction.atomic():
            assert Homestead.objects.filter(pk=parcel.pk).exists()  # in a transaction: the primary
            Homestead.objects.filter(pk=parcel.pk).update(area=99)
    assert not any(q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) for q in on_r.captured_queries)
    assert any("finance_homestead" in q["sql"] for q in on_r.captured_queries)

    # In a request, a write moves the rest of the request to the primary.
    router = routers.ReplicaRouter()
    token = routers._reads.set(routers._Reads(replica=True, sticky=True))
    try:
        assert router.db_for_read(Homestead) == REPLICA
        router.db_for_write(User)  # a session or a token's last use: not a write of the data
        assert router.db_for_read(Homestead) == REPLICA
        router.db_for_write(Homestead)
        assert router.db_for_read(Homestead) == "default"
    finally:
        routers._reads.reset(token)


@needs_replica
@on_both
def test_a_lagging_replica_is_not_read(replica, client, official, village_a, paused, settings, caplog):
    settings.DATABASE_REPLICA_MAX_LAG = 0.5
    client.force_login(official)
    parcel = homestead(village_a.township, v=village_a)  # the replica receives it but does not replay it
    time.sleep(1)
    with caplog.at_level(logging.WARNING, logger="wenshang.replica"):
        assert parcel.pk in listed(client, village_a)  # from the primary
    assert "behind" in caplog.text
    on_replica("SELECT pg_wal_replay_resume()::text")
    caught_up()
    settings.DATABASE_REPLICA_MAX_LAG = 30  # (0.5 s: other writers of the same cluster could exceed it)
    assert routers.usable()


@needs_replica
@on_both
def test_an_unreachable_replica_is_not_read(replica, client, official, village_a, monkeypatch, caplog):
    def down():
        raise OperationalError("connection refused")

    monkeypatch.setattr(routers, "lag", down)
    client.force_login(official)
    parcel = homestead(village_a.township, v=village_a)
    with caplog.at_level(logging.WARNING, logger="wenshang.replica"), \
            CaptureQueriesContext(connections[REPLICA]) as on_r:
        assert parcel.pk in listed(client, village_a)
        assert client.get("/").status_code == 200
    assert on_r.captured_queries == [] and "cannot be reached" in caplog.text


@needs_replica
@on_both
def test_a_replica_that_is_not_a_streaming_standby_is_not_read(replica, monkeypatch, caplog):
    assert routers.usable()
    monkeypatch.setattr(routers, "LAG_SQL", "SELECT NULL")  # what LAG_SQL answers on a promoted replica
    with caplog.at_level(logging.WARNING, logger="wenshang.replica"):
        assert not routers.usable()
    assert "not a standby" in caplog.text
    with routers.replica_reads():
        assert Village.objects.db == "default"


@needs_replica
@on_both
def test_a_request_during_which_the_replica_stops_is_served_from_the_primary(replica, client, official, village_a,
                                                                             monkeypatch, caplog):
    client.force_login(official)
    parcel = homestead(village_a.township, v=village_a)
    checks = iter([True])
    real_usable = routers.usable
    monkeypatch.setattr(routers, "usable", lambda: next(checks, None) or real_usable())  # up when the request starts
    replica_db = connections[REPLICA]
    replica_db.close()
    monkeypatch.setitem(replica_db.settings_dict, "PORT", "1")  # then gone: nothing listens there
    try:
        with caplog.at_level(logging.WARNING, logger="wenshang.replica"):
            assert parcel.pk in listed(client, village_a)
    finally:
        replica_db.close()
    assert "cannot be reached" in caplog.text
    assert "Internal Server Error" not in caplog.text


@needs_replica
@on_both
def test_a_report_reads_its_figures_on_the_replica(replica, reports_dir, village_a):  # noqa: F811
    homestead(village_a.township, v=village_a)
    report, _ = report_services.request_report(subject=report_data.subject_from_key("county"), year=2024, quarter=2,
                                               send=False)
    caught_up()
    with CaptureQueriesContext(connections[REPLICA]) as on_r:
        assert report_services.run(report.pk) == "done"
    assert any("villages_village" in q["sql"] for q in on_r.captured_queries)
    assert not any(q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) for q in on_r.captured_queries)
