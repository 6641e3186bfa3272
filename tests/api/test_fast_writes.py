"""Fast writes (issue 16): a single POST in a few round trips, bulk requests of up to 5,000 records
through the imports' batch writer, with every problem still found and named by item."""
import re
import threading

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from finance.models import Homestead, Loan
from tests.api.test_writes import LOANS, PARCELS, assert_error, loan_body, parcel_body
from tests.grids.test_views import household_in
from tests.talent.helpers import id_number
from wenshang.kernel import pipeline
from wenshang.kernel.models import ObjectChange
from wenshang.web import aggregates

POSTGRES = connection.vendor == "postgresql"
BULK_QUERIES = 9  # token, villages, parcel codes, ids, parcels (COPY), their places, their change log (COPY), guard, figures
CONTROL = re.compile(r"^(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b")


@pytest.fixture
def bank(api_client, token_a):
    return api_client(token_a)


def queries_of(call):
    with CaptureQueriesContext(connection) as captured:
        response = call()
    sql = [q["sql"] for q in captured.captured_queries]
    return response, [s for s in sql if not CONTROL.match(s)], [s for s in sql if CONTROL.match(s)]


def test_a_loan_post_is_eight_round_trips_on_postgresql(bank, township_a, village_a):
    bank.post(LOANS, loan_body(township_a, village_a, contract_number="W-0"), format="json")  # caches warm
    response, work, control = queries_of(lambda: bank.post(LOANS, loan_body(township_a, village_a, contract_number="W-1"), format="json"))
    assert response.status_code == 201, response.content
    # the token; the township and the village named; the loan; its change-log row with the closing
    # guard's question; the figures' recomputation (two on PostgreSQL, where their writes go with the
    # scope check that follows them); the scope check. No savepoint.
    assert len(work) == (8 if POSTGRES else 32), work
    assert [s.split()[0] for s in control] == ["SAVEPOINT", "RELEASE"]  # BEGIN and COMMIT outside a test case
    assert ObjectChange.objects.filter(object_id=str(response.json()["id"]), action="create").count() == 1
    assert aggregates.verify() == []


def test_a_duplicate_is_found_by_the_database_and_named(bank, township_a, village_a):
    item = loan_body(township_a, village_a, contract_number="WSNS-1")
    assert bank.post(LOANS, item, format="json").status_code == 201
    body = assert_error(bank.post(LOANS, dict(item, borrower_id_number=id_number()), format="json"), 400)
    assert "该银行已有此合同编号的贷款。" in str(body["errors"]) and Loan.objects.count() == 1
    parcel = parcel_body(village_a, 1)
    assert bank.post(PARCELS, parcel, format="json").status_code == 201
    body = assert_error(bank.post(PARCELS, dict(parcel, holder_id_number=id_number()), format="json"), 400, "parcel_code")
    assert Homestead.objects.count() == 1
    # a change into another record's code, too
    other = bank.post(PARCELS, parcel_body(village_a, 2), format="json").json()
    assert_error(bank.patch(f"{PARCELS}{other['id']}/", {"parcel_code": parcel["parcel_code"]}, format="json"), 400, "parcel_code")


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not POSTGRES, reason="two writers at once need PostgreSQL")
def test_two_posts_of_the_same_contract_at_once_answer_201_and_400(make_token, township_a, village_a):
    token = make_token("银行", township=township_a, read_only=False)
    answers, start = [], threading.Barrier(2)
    items = [loan_body(township_a, village_a, contract_number="AT-ONCE") for _ in range(2)]

    def send(item):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.key}")
        start.wait()
        answers.append(client.post(LOANS, item, format="json"))
        connection.close()

    threads = [threading.Thread(target=send, args=(item,)) for item in items]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a.status_code for a in answers) == [201, 400], [a.content for a in answers]
    assert "该银行已有此合同编号的贷款。" in str(next(a for a in answers if a.status_code == 400).json())
    assert Loan.objects.count() == 1


def test_a_bulk_costs_the_same_queries_for_ten_records_as_for_four_hundred(bank, village_a):
    assert bank.post(f"{PARCELS}bulk/", [parcel_body(village_a, 9999)], format="json").status_code == 201  # caches warm
    small, _control = queries_of(lambda: bank.post(f"{PARCELS}bulk/", [parcel_body(village_a, n) for n in range(1, 11)], format="json"))[1:]
    response, large, _control = queries_of(lambda: bank.post(f"{PARCELS}bulk/", [parcel_body(village_a, n) for n in range(11, 411)], format="json"))
    assert response.status_code == 201, response.content
    assert len(large) == len(small) == (BULK_QUERIES if POSTGRES else 20), large
    assert Homestead.objects.count() == 411
    assert ObjectChange.objects.filter(content_type__model="homestead", action="create", source="api").count() == 411
    assert aggregates.verify() == []


def test_five_thousand_records_are_one_request(bank, village_a):
    items = [parcel_body(village_a, n) for n in range(1, 5001)]
    response = bank.post(f"{PARCELS}bulk/", items, format="json")
    assert response.status_code == 201, response.content[:300]
    assert response.json()["created"] == 5000 and Homestead.objects.count() == 5000
    ids = response.json()["ids"]
    assert list(Homestead.objects.filter(pk__in=ids[:3]).order_by("pk").values_list("parcel_code", flat=True)) == [
        item["parcel_code"] for item in items[:3]]
    assert aggregates.verify() == []
    too_many = assert_error(bank.post(f"{PARCELS}bulk/", items + [parcel_body(village_a, 5001)], format="json"), 400, "items")
    assert "5000" in str(too_many["errors"])


def test_a_bulk_finds_every_unique_clash_by_item(bank, village_a):
    stored = bank.post(PARCELS, parcel_body(village_a, 1), format="json").json()
    items = [parcel_body(village_a, n) for n in range(2, 7)]
    items[1]["parcel_code"] = stored["parcel_code"]  # a parcel already recorded
    items[4]["parcel_code"] = items[3]["parcel_code"]  # the same parcel twice in the batch
    body = assert_error(bank.post(f"{PARCELS}bulk/", items, format="json"), 400)
    assert {item["index"]: list(item["errors"]) for item in body["items"]} == {1: ["parcel_code"], 4: ["parcel_code"]}
    assert Homestead.objects.count() == 1
    loans = [loan_body(village_a.township, village_a, contract_number=f"C-{n}") for n in range(3)]
    loans[2]["contract_number"] = "C-0"  # the same contract at the same bank
    body = assert_error(bank.post(f"{LOANS}bulk/", loans, format="json"), 400)
    assert [item["index"] for item in body["items"]] == [2] and "该银行已有此合同编号的贷款。" in str(body["items"])
    loans[2]["contract_number"], loans[2]["bank"] = "C-0", "汶上村镇银行"  # another bank: another loan
    assert bank.post(f"{LOANS}bulk/", loans, format="json").status_code == 201 and Loan.objects.count() == 3


def test_a_bulk_upsert_writes_only_what_changed_and_logs_it(bank, village_a):
    items = [parcel_body(village_a, n) for n in range(1, 6)]
    assert bank.put(f"{PARCELS}bulk/", items, format="json").json()["created"] == 5
    logged = ObjectChange.objects.count()
    again = bank.put(f"{PARCELS}bulk/", items, format="json").json()
    assert (again["created"], again["updated"]) == (0, 5) and ObjectChange.objects.count() == logged  # nothing new
    items[2]["area"] = "222.00"
    assert bank.put(f"{PARCELS}bulk/", items, format="json").status_code == 200
    change = ObjectChange.objects.filter(action="update").get()
    assert change.prechange_data == {"area": "180.50"} and change.postchange_data == {"area": "222.00"}
    assert Homestead.objects.get(parcel_code=items[2]["parcel_code"]).area == 222
    assert aggregates.verify() == []


def test_a_bulk_upsert_cannot_change_a_record_out_of_reach(bank, api_client, token_b, village_a, village_b):
    theirs = api_client(token_b).post(PARCELS, parcel_body(village_b, 1), format="json").json()
    item = dict(parcel_body(village_a, 2), parcel_code=theirs["parcel_code"])  # another township's parcel code
    body = assert_error(bank.put(f"{PARCELS}bulk/", [item], format="json"), 400)
    assert body["items"][0]["index"] == 0 and Homestead.objects.get(pk=theirs["id"]).village_id == village_b.pk


@pytest.mark.skipif(not POSTGRES, reason="statements are sent together on PostgreSQL only")
def test_a_pipelined_statement_goes_with_the_next_or_at_the_end_of_the_block(township_a):
    table = ObjectChange._meta.db_table
    with transaction.atomic():
        with CaptureQueriesContext(connection) as captured, pipeline.pipelined("default"):
            pipeline.send(connection, f"UPDATE {table} SET source = %s WHERE id = -1", ["x"])
            assert captured.captured_queries == []  # queued
            with connection.cursor() as cursor:
                cursor.execute("SELECT %s", [1])
                assert cursor.fetchone() == (1,)  # the answer of the last statement
            assert len(captured.captured_queries) == 1 and captured.captured_queries[0]["sql"].startswith("UPDATE")
            pipeline.send(connection, f"UPDATE {table} SET source = %s WHERE id = -2", ["y"])
        assert len(captured.captured_queries) == 2  # sent as the block ended
        with pytest.raises(ZeroDivisionError), pipeline.pipelined("default"):
            pipeline.send(connection, "SELECT 1/0", [])
            raise ZeroDivisionError  # left by an exception: the queue goes with its work, unsent
        with CaptureQueriesContext(connection) as outside:
            pipeline.send(connection, "SELECT %s", [2])  # outside a block: at once
        assert len(outside.captured_queries) == 1


@override_settings(API_BULK_MAX=3)
def test_the_limit_is_a_setting(bank, village_a):
    assert_error(bank.post(f"{PARCELS}bulk/", [parcel_body(village_a, n) for n in range(1, 5)], format="json"), 400, "items")


def test_credit_records_in_bulk_are_written_in_a_batch_and_keep_the_totals(bank, township_a):
    household = household_in(township_a)

    def records(days):
        return [{"household": household.pk, "date": f"2024-05-{d:02d}", "category": "volunteer", "points": 3, "reason": f"第{d}次"}
                for d in days]

    bank.post("/api/v1/grids/credit-records/bulk/", records([1]), format="json")  # caches warm
    small = queries_of(lambda: bank.post("/api/v1/grids/credit-records/bulk/", records(range(2, 3)), format="json"))[1]
    response, large, _control = queries_of(lambda: bank.post("/api/v1/grids/credit-records/bulk/", records(range(3, 29)), format="json"))
    assert response.status_code == 201, response.content
    assert len(large) == len(small)
    household.refresh_from_db()
    assert household.credit_points == 3 * 28 and aggregates.verify() == []


def test_an_id_out_of_any_range_is_an_item_problem(bank, village_a):
    items = [parcel_body(village_a, n) for n in (1, 2, 3)]
    items[1]["village"], items[2]["village"] = 23912651235810320384, -4
    body = assert_error(bank.post(f"{PARCELS}bulk/", items, format="json"), 400)
    assert {item["index"]: list(item["errors"]) for item in body["items"]} == {1: ["village"], 2: ["village"]}
