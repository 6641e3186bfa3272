"""Idempotent POSTs (issue 16): a retry with the same ``Idempotency-Key`` within 24 hours gets the
first answer and writes nothing; the same key with another body is a 409; keys are the caller's."""
import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from finance.models import Homestead, Loan
from tests.api.test_writes import LOANS, PARCELS, assert_error, loan_body, parcel_body
from wenshang.api import idempotency
from wenshang.api.models import IdempotentRequest
from wenshang.kernel.models import ObjectChange

pytestmark = pytest.mark.django_db


@pytest.fixture
def bank(api_client, token_a):
    return api_client(token_a)


def post(client, url, body, key):
    return client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_retried_post_writes_once_and_gets_the_first_answer(bank, township_a, village_a):
    body = loan_body(township_a, village_a)
    first = post(bank, LOANS, body, "c0ffee00-0001")
    again = post(bank, LOANS, dict(reversed(list(body.items()))), "c0ffee00-0001")  # the same JSON, keys in another order
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true" and not first.has_header("Idempotent-Replayed")
    assert Loan.objects.count() == 1 and ObjectChange.objects.filter(content_type__model="loan").count() == 1
    other = post(bank, LOANS, body, "c0ffee00-0002")  # another key: another loan
    assert other.status_code == 201 and Loan.objects.count() == 2


def test_the_same_key_with_another_body_is_a_conflict(bank, township_a, village_a):
    post(bank, LOANS, loan_body(township_a, village_a), "k-1")
    body = assert_error(post(bank, LOANS, loan_body(township_a, village_a, amount="90000.00"), "k-1"), 409)
    assert body["code"] == "conflict" and "Idempotency-Key" in body["message"]
    assert_error(post(bank, f"{PARCELS}bulk/", [parcel_body(village_a, 1)], "k-1"), 409)  # another address
    assert Loan.objects.count() == 1 and not Homestead.objects.exists()


def test_an_error_is_not_kept(bank, township_a, village_a):
    """Nothing was written: the key is free, a corrected request with it is made."""
    assert_error(post(bank, LOANS, loan_body(township_a, village_a, amount="-1"), "k-2"), 400, "amount")
    assert post(bank, LOANS, loan_body(township_a, village_a), "k-2").status_code == 201
    assert Loan.objects.count() == 1


def test_a_bulk_batch_retried_writes_once(bank, village_a):
    items = [parcel_body(village_a, n) for n in range(1, 21)]
    first = post(bank, f"{PARCELS}bulk/", items, "batch-2024-05-06")
    again = post(bank, f"{PARCELS}bulk/", items, "batch-2024-05-06")
    assert first.status_code == again.status_code == 201 and again.json() == first.json()
    assert Homestead.objects.count() == 20


def test_keys_are_the_callers_and_last_a_day(api_client, bank, token_b, township_a, village_a, township_b, village_b):
    post(bank, LOANS, loan_body(township_a, village_a), "shared-key")
    assert post(api_client(token_b), LOANS, loan_body(township_b, village_b), "shared-key").status_code == 201  # another caller
    assert Loan.objects.count() == 2
    IdempotentRequest.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    assert post(bank, LOANS, loan_body(township_a, village_a), "shared-key").status_code == 201  # a day later: a new request
    assert Loan.objects.count() == 3 and not bank.get(LOANS).has_header("Idempotent-Replayed")
    assert idempotency.purge() == 1 and IdempotentRequest.objects.count() == 1  # the other caller's old key


@pytest.mark.parametrize("key", ["", "x" * 256, "键"])
def test_a_malformed_key_is_refused(bank, township_a, village_a, key):
    assert_error(post(bank, LOANS, loan_body(township_a, village_a), key), 400, "Idempotency-Key")
    assert not Loan.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="two writers at once need PostgreSQL's row locks")
def test_the_same_key_sent_twice_at_once_writes_once(make_token, township_a, village_a):
    token = make_token("银行", township=township_a, read_only=False)
    answers, start, body = [], threading.Barrier(2), loan_body(township_a, village_a)

    def send():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.key}")
        start.wait()
        answers.append(post(client, LOANS, body, "at-once"))
        connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [a.status_code for a in answers] == [201, 201] and answers[0].json() == answers[1].json()
    assert Loan.objects.count() == 1
