"""Webhooks (issue 16), against a real HTTP receiver on this machine (``Receiver``: answers, fails
with 500, answers too late, or is down): record changes and the features' events reach the
subscribers that chose them, within their scope, masked and signed; a delivery not answered is
tried again with backoff and survives a receiver down for ten minutes; after a day it fails with
its reason; the county administrator registers a subscriber, sees its log and delivers again."""
import datetime as dt
import hashlib
import hmac
import http.server
import json
import threading
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.api.test_writes import LOANS, PARCELS, loan_body, parcel_body
from wenshang.api import webhooks
from wenshang.api.models import Webhook, WebhookDelivery
from wenshang.kernel import events

pytestmark = pytest.mark.django_db


class Receiver:
    """A subscriber's endpoint: ``mode`` is "ok" (204), "error" (500), "slow" (answers after 3 s) or
    "down" (the port refuses connections). ``received``: (headers, body) of every request answered."""

    def __init__(self):
        self.mode, self.received = "ok", []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                if receiver.mode == "slow":
                    time.sleep(3)
                status = 500 if receiver.mode == "error" else 204
                if status == 204:
                    receiver.received.append((dict(self.headers), body))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.handler = Handler
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/hooks/wenshang"

    def start(self):
        if self.thread is None:
            self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), self.handler)
            self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
            self.thread.start()

    def stop(self):
        if self.thread is not None:
            self.server.shutdown()
            self.server.server_close()
            self.thread = None

    def events(self):
        return [json.loads(body)["event"] for _, body in self.received]


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture
def clock(monkeypatch):
    """The webhooks' clock, moved by hand (``clock.advance(seconds)``)."""

    class Clock:
        now = timezone.now()

        def advance(self, seconds):
            self.now += dt.timedelta(seconds=seconds)

    c = Clock()
    monkeypatch.setattr(webhooks.timezone, "now", lambda: c.now)
    return c


def subscribe(county, url, events_chosen, township=None):
    return webhooks.subscribe(name="省平台", url=url, events_chosen=events_chosen, county=county, township=township)


def verify(secret, headers, body):
    """What a receiver does (the README's example): recompute the signature, refuse an old timestamp."""
    expected = "sha256=" + hmac.new(secret.encode(), f"{headers['X-Wenshang-Timestamp']}.{body}".encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["X-Wenshang-Signature"]) and abs(time.time() - int(headers["X-Wenshang-Timestamp"])) < 300


def test_record_changes_reach_the_subscribers_that_chose_them_signed_and_masked(api_client, token_a, county, township_a, village_a,
                                                                               township_b, receiver):
    hook = subscribe(county, receiver.url, ["finance/loans.*"])
    narrow = subscribe(county, receiver.url + "?b", ["*"], township=township_b)  # another township's subscriber
    bank = api_client(token_a)
    loan = bank.post(LOANS, loan_body(township_a, village_a), format="json").json()
    bank.patch(f"{LOANS}{loan['id']}/", {"amount": "90000.00"}, format="json")
    bank.post(f"{PARCELS}bulk/", [parcel_body(village_a, 1)], format="json")  # parcels: not chosen
    bank.delete(f"{LOANS}{loan['id']}/")
    assert webhooks.dispatch() == {"delivered": 3}
    assert receiver.events() == ["finance/loans.created", "finance/loans.changed", "finance/loans.deleted"]
    assert not WebhookDelivery.objects.filter(webhook=narrow).exists()
    headers, body = receiver.received[0]
    assert verify(hook.secret, headers, body) and not verify("whsec_other", headers, body)
    payload = json.loads(body)
    assert payload["id"] == headers["X-Wenshang-Delivery"] and headers["X-Wenshang-Event"] == payload["event"]
    data = payload["data"]
    assert data["entity"] == "finance/loans" and data["record"] == loan["id"] and data["data"]["amount"] == "80000.00"
    assert "*" in data["data"]["borrower_id_number"]  # masked as the API's answers
    assert json.loads(receiver.received[1][1])["data"]["changed"] == ["amount"]
    assert webhooks.dispatch() == {}  # nothing twice


def test_the_features_events_reach_their_subscribers(county, township_a, receiver, staff_a, django_capture_on_commit_callbacks):
    subscribe(county, receiver.url, ["report.ready", "quarter.submitted"])
    events.happened.send(sender=None, event="report.ready", county_id=county.pk, township_id=None, data={"report": 7})
    events.happened.send(sender=None, event="import.finished", county_id=county.pk, township_id=township_a.pk, data={"job": 1})
    webhooks.send_due()
    assert receiver.events() == ["report.ready"] and json.loads(receiver.received[0][1])["data"] == {"report": 7}


def test_a_receiver_down_for_ten_minutes_gets_the_delivery_once_it_is_back(county, receiver, clock):
    hook = subscribe(county, receiver.url, ["report.ready"])
    receiver.stop()
    events.happened.send(sender=None, event="report.ready", county_id=county.pk, data={"report": 1})
    tried = []
    for _ in range(20):  # ten minutes, half a minute at a time
        webhooks.send_due()
        tried.append(WebhookDelivery.objects.get().attempts)
        clock.advance(30)
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == "pending" and delivery.last_status is None and delivery.last_error
    assert tried[-1] == 5 and tried[:3] == [1, 2, 2]  # backoff: 30 s, 1, 2, 4 minutes …
    receiver.start()
    while delivery.state == "pending":
        clock.advance(30)
        webhooks.send_due()
        delivery.refresh_from_db()
    assert delivery.state == "delivered" and delivery.attempts == 6 and len(receiver.received) == 1
    assert verify(hook.secret, *receiver.received[0])


def test_errors_and_slow_answers_are_tried_again_then_given_up_after_a_day(county, receiver, clock, settings):
    settings.WEBHOOK_TIMEOUT = 1
    subscribe(county, receiver.url, ["report.ready"])
    receiver.mode = "error"
    events.happened.send(sender=None, event="report.ready", county_id=county.pk, data={})
    webhooks.send_due()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.last_status, delivery.attempts) == ("pending", 500, 1)
    receiver.mode = "slow"
    clock.advance(30)
    webhooks.send_due()
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.last_status is None and "timed out" in delivery.last_error
    receiver.mode = "error"
    for _ in range(30):
        clock.advance(7200)
        webhooks.send_due()
    delivery.refresh_from_db()
    assert delivery.state == "failed" and delivery.last_status == 500 and delivery.next_attempt_at is None
    assert delivery.attempts < 20  # backoff, not a flood


def test_the_administrator_registers_a_subscriber_and_delivers_again(client, admin_user, staff_a, county, township_a, receiver):
    client.force_login(staff_a)
    assert client.get(reverse("webhook_list")).status_code == 403
    client.force_login(admin_user)
    response = client.post(reverse("webhook_list"), {"name": "省平台", "url": "ftp://x", "events": ["report.ready"]})
    assert response.status_code == 400 and "invalid-feedback" in response.content.decode()
    response = client.post(reverse("webhook_list"), {"name": "省平台", "url": receiver.url, "events": ["report.ready", "*"]})
    hook = Webhook.objects.get()
    assert response.status_code == 302 and hook.county == county and hook.events == ["*", "report.ready"]
    page = client.get(response["Location"]).content.decode()
    assert hook.secret in page  # shown once
    assert hook.secret not in client.get(response["Location"]).content.decode()
    receiver.mode = "error"
    events.happened.send(sender=None, event="report.ready", county_id=county.pk, data={})
    webhooks.send_due()
    delivery = WebhookDelivery.objects.get()
    receiver.mode = "ok"
    page = client.get(reverse("webhook_detail", args=[hook.pk])).content.decode()
    assert str(delivery.uuid) in page and "HTTP 500" in page
    for wrong in ("abc", "١", str(delivery.pk + 1000)):  # not a delivery of this subscriber: a 404, never a 500
        assert client.post(reverse("webhook_detail", args=[hook.pk]), {"action": "redeliver", "delivery": wrong}).status_code == 404
    client.post(reverse("webhook_detail", args=[hook.pk]), {"action": "redeliver", "delivery": delivery.pk})
    webhooks.send_due()
    delivery.refresh_from_db()
    assert delivery.state == "delivered" and receiver.events() == ["report.ready"]
    client.post(reverse("webhook_detail", args=[hook.pk]), {"action": "pause"})
    assert not Webhook.objects.get().active
    client.post(reverse("webhook_detail", args=[hook.pk]), {"action": "delete"})
    assert not Webhook.objects.exists()
