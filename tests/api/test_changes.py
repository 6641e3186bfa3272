"""The change feed (issue 16): ``GET /api/v1/changes/?after=<cursor>`` lists the changes of the
caller's scope, oldest first, written as the API writes records (masked), page by page; a cursor
kept and sent later gives only what changed since — and on PostgreSQL never skips a change that a
slower transaction commits after a faster one."""
import threading
import time

import pytest
from django.db import connection, transaction

from finance.models import Homestead
from tests.api.test_writes import LOANS, assert_error, loan_body
from tests.factories import make
from wenshang.kernel.models import PersonalDataAccess

pytestmark = pytest.mark.django_db
FEED = "/api/v1/changes/"


def read_all(client, after="", **params):
    """Every change after ``after``, following ``next``; returns (changes, the last cursor)."""
    out, url, query = [], FEED, {"after": after, **params}
    while True:
        response = client.get(url, query)
        assert response.status_code == 200, response.content
        body = response.json()
        out += body["results"]
        if not body["next"]:
            return out, body["cursor"]
        url, query = body["next"], {}


def test_a_township_reads_its_changes_in_order_masked(api_client, token_a, token_b, township_a, village_a, township_b, village_b):
    bank, other = api_client(token_a), api_client(token_b)
    loan = bank.post(LOANS, loan_body(township_a, village_a), format="json").json()
    bank.patch(f"{LOANS}{loan['id']}/", {"amount": "90000.00"}, format="json")
    other.post(LOANS, loan_body(township_b, village_b), format="json")  # another township's: not in A's feed
    bank.delete(f"{LOANS}{loan['id']}/")
    changes, cursor = read_all(bank, page_size=1, entity="finance/loans")
    everything, _ = read_all(bank)  # the township's own records too (its villages …), never another township's
    assert {c["township"] for c in everything} == {township_a.pk} and changes == [c for c in everything if c["entity"] == "finance/loans"]
    assert [(c["action"], c["entity"], c["record"]) for c in changes] == [
        ("create", "finance/loans", loan["id"]), ("update", "finance/loans", loan["id"]), ("delete", "finance/loans", loan["id"])]
    created, updated, deleted = changes
    assert created["data"]["amount"] == "80000.00" and created["data"]["village"] == village_a.pk
    assert "*" in created["data"]["borrower_id_number"] and created["township"] == township_a.pk
    assert updated["changed"] == ["amount"] and updated["data"]["amount"] == "90000.00"
    assert deleted["data"] is None and deleted["changed"] == []
    assert [c["id"] for c in changes] == sorted(c["id"] for c in changes)
    # later: only what changed since the cursor
    again = bank.post(LOANS, loan_body(township_a, village_a), format="json").json()
    since, last = read_all(bank, after=cursor, entity="finance/loans")
    assert [(c["action"], c["record"]) for c in since] == [("create", again["id"])]
    assert read_all(bank, after=last, entity="finance/loans")[0] == []


def test_a_county_token_with_the_right_reads_numbers_and_is_logged(api_client, make_token, township_a, village_a):
    token = make_token("省平台", read_only=False, personal_data=True)
    client = api_client(token)
    client.post(LOANS, loan_body(township_a, village_a), format="json")
    changes, _ = read_all(client, entity="finance/loans")
    assert len(changes) == 1 and "*" not in changes[0]["data"]["borrower_id_number"]
    access = PersonalDataAccess.objects.get(context="api:changes")
    assert access.object_ids == [changes[0]["record"]]


def test_bad_parameters_are_refused(api_client, token_a):
    client = api_client(token_a)
    assert_error(client.get(FEED, {"after": "abc"}), 400, "after")
    assert_error(client.get(FEED, {"entity": "finance/nothing"}), 400, "entity")
    assert_error(client.get(FEED, {"page_size": "0"}), 400, "page_size")
    assert client.get(FEED, {"entity": "finance/loans"}).json() == {"next": None, "cursor": "0.0", "results": []}


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="transaction ids order the feed on PostgreSQL only")
def test_a_change_committed_late_is_not_skipped(api_client, make_token, township_a, village_a):
    """A slow transaction (a parcel) writes first and commits last; a fast one (a loan, through the API)
    commits meanwhile: the reader sees neither until the slow one ends, then both in that order, so
    its cursor never passes a change that was still to commit."""
    client = api_client(make_token("省平台", read_only=True))
    bank = api_client(make_token("银行", township=township_a, read_only=False))
    written, release, done = threading.Event(), threading.Event(), threading.Event()

    def slow():
        with transaction.atomic():
            make(Homestead, township_a, 7)
            written.set()
            release.wait(30)
        connection.close()
        done.set()

    def feed(after=""):
        changes, cursor = read_all(client, after=after)
        return [c["entity"] for c in changes if c["entity"] in ("finance/loans", "finance/homesteads")], cursor

    _, start = read_all(client)  # what the fixtures wrote
    thread = threading.Thread(target=slow)
    thread.start()
    assert written.wait(30)
    response = bank.post(LOANS, loan_body(township_a, village_a), format="json")
    assert response.status_code == 201 and not done.is_set()  # the fast one committed while the slow one runs
    seen, cursor = feed(start)
    assert seen == []  # it waits behind the slow one
    release.set()
    assert done.wait(30)
    for _ in range(300):  # (a transaction of another database of the cluster may hold the feed back a while)
        seen, _ = feed(cursor)
        if seen:
            break
        time.sleep(0.1)
    assert seen == ["finance/homesteads", "finance/loans"]
