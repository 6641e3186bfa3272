"""Webhooks: the portal tells other systems what happened, as it happens.

A county administrator registers a subscriber (``Webhook``: an address, the events, a scope — the
county or one township) and is shown its signing secret once. Events:

- ``<app>/<plural>.created`` / ``.changed`` / ``.deleted``: a record of the API's kinds (the
  change log, ``wenshang.kernel.audit``, whatever wrote it: a form, the API, an import, the admin);
  ``<app>/<plural>.*`` subscribes to the three;
- ``import.finished``, ``report.ready``, ``quarter.submitted``, ``quarter.returned``,
  ``quarter.approved`` (``wenshang.kernel.events.happened``, sent by the features);
- ``*``: everything.

**Delivery.** Record events are read from the change log in the change feed's order
(``wenshang.api.changes``: no committed change is skipped) from the subscriber's own cursor, by
``dispatch()``: after every commit that changed records (``kick``: a task, at most one queued at a
time) and every minute (beat). Each event becomes a ``WebhookDelivery`` row (its payload scoped and
masked as the API's answers) before it is sent, so nothing is lost when the receiver, the worker or
the broker is down. ``send_due()`` POSTs the due deliveries, each claimed under a row lock: a 2xx
answer delivers it; anything else (an error status, a refused connection, no answer within
``WEBHOOK_TIMEOUT`` seconds) is tried again after 30 s, 1, 2, 4, 8 … minutes (at most 2 hours
apart) for ``WEBHOOK_RETRY_HOURS`` (24), then marked failed with the last error. The log page shows
every delivery and delivers one again on request.

**Signature.** ``X-Wenshang-Signature: sha256=<hex>``, the HMAC-SHA256 with the subscriber's secret of
``<X-Wenshang-Timestamp>.<body>``; the receiver recomputes it and refuses an old timestamp (the
README has an example).
"""
import datetime as dt
import hashlib
import hmac
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
import uuid

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wenshang.api import changes as feed
from wenshang.api.models import Webhook, WebhookDelivery
from wenshang.closing.services import step_taken
from wenshang.kernel import changes as record_changes
from wenshang.kernel import events
from wenshang.kernel.models import ObjectChange

ACTIONS = {"create": "created", "update": "changed", "delete": "deleted"}
OTHER_EVENTS = {
    "import.finished": _("An import finished (written, or found wrong)"),
    "report.ready": _("A survey report is ready"),
    "quarter.submitted": _("A township submitted its quarter"),
    "quarter.returned": _("The county returned a township's quarter"),
    "quarter.approved": _("The county approved a township's quarter"),
}
DISPATCH_TASK = "wenshang.webhooks"
ACTIVE_KEY = "webhooks:active"  # whether any subscriber is active (a write asks without a query)
QUEUED_KEY = "webhooks:queued"  # a dispatch is queued: the writes meanwhile need no other
BATCH = 500
SIGNATURE_HEADER = "X-Wenshang-Signature"


# -- subscribers --------------------------------------------------------------------------------------
def new_secret():
    return "whsec_" + secrets.token_urlsafe(24)


def subscribe(*, name, url, events_chosen, county, township=None, created_by=None):
    """A new subscriber, reading the change log from now on. Returns it (its ``secret`` to show once)."""
    hook = Webhook.objects.create(name=name, url=url, events=sorted(set(events_chosen)), county=county, township=township,
                                  secret=new_secret(), cursor=feed.end(), created_by=created_by)
    cache.delete(ACTIVE_KEY)
    return hook


def set_active(hook, active):
    """Pause or resume a subscriber; resumed, it reads the change log from then on (what changed
    meanwhile is in the change feed, ``/api/v1/changes/``)."""
    hook.active = active
    if active:
        hook.cursor = feed.end()
    hook.save(update_fields=["active", "cursor"])
    cache.delete(ACTIVE_KEY)


def remove(hook):
    hook.delete()
    cache.delete(ACTIVE_KEY)


def any_active():
    found = cache.get(ACTIVE_KEY)
    if found is None:
        found = Webhook.objects.filter(active=True).exists()
        cache.set(ACTIVE_KEY, found, 300)
    return found


def wants(hook, event):
    return "*" in hook.events or event in hook.events or f"{event.rsplit('.', 1)[0]}.*" in hook.events


def signature(secret, timestamp, body):
    return "sha256=" + hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()


# -- events -------------------------------------------------------------------------------------------
def _payload(event, data):
    delivery = uuid.uuid4()
    body = json.dumps({"id": str(delivery), "event": event, "time": timezone.now(), "data": data}, cls=DjangoJSONEncoder,
                      ensure_ascii=False, separators=(",", ":"))
    return delivery, body


def _queue(hook, event, data, now):
    delivery, body = _payload(event, data)
    return WebhookDelivery(webhook=hook, uuid=delivery, event=event, payload=body, next_attempt_at=now, created_at=now)


def collect(hook):
    """Turn the record changes after ``hook``'s cursor into its deliveries, under a lock of its row (two
    dispatchers at once collect each change once). Returns how many were queued."""
    kinds = feed.entities()
    queued = 0
    while True:
        with transaction.atomic():
            hook = Webhook.objects.select_for_update().get(pk=hook.pk)
            if not hook.active:
                return queued
            scope = ObjectChange.objects.filter(content_type__in=list(kinds), county_id=hook.county_id)
            if hook.township_id is not None:
                scope = scope.filter(township_id=hook.township_id)
            rows, cursor = feed.read(scope, hook.cursor, BATCH)
            now = timezone.now()
            made = []
            for row in rows:
                config = kinds[row.content_type_id]
                event = f"{config.app()}/{config.plural}.{ACTIONS[row.action]}"
                if wants(hook, event):
                    made.append(_queue(hook, event, feed.change(row, config, may_see=False), now))
            WebhookDelivery.objects.bulk_create(made)
            hook.cursor = cursor
            hook.save(update_fields=["cursor"])
            queued += len(made)
        if len(rows) < BATCH:
            return queued


def emit(event, county_id, township_id=None, data=None):
    """An event of the features (not a record's): a delivery for each subscriber of it in the county
    (and township), sent after the commit."""
    if not any_active():
        return 0
    hooks = Webhook.objects.filter(active=True, county_id=county_id)
    hooks = hooks.filter(Q(township__isnull=True) | Q(township_id=township_id)) if township_id else hooks.filter(township__isnull=True)
    now = timezone.now()
    made = [_queue(hook, event, data or {}, now) for hook in hooks if wants(hook, event)]
    WebhookDelivery.objects.bulk_create(made)
    if made:
        transaction.on_commit(kick)
    return len(made)


def _happened(sender, event, county_id, township_id=None, data=None, **kwargs):
    emit(event, county_id, township_id, data)


STEPS = {"submit": "quarter.submitted", "return": "quarter.returned", "approve": "quarter.approved"}


def _step(sender, submission, action, **kwargs):
    """The quarter close's steps (``wenshang.closing``), sent after their commit."""
    emit(STEPS[action], submission.county_id, submission.township_id, {
        "township": submission.township_id, "period": f"{submission.year}Q{submission.quarter}", "state": submission.state})


events.happened.connect(_happened, dispatch_uid="webhooks-events")
step_taken.connect(_step, dispatch_uid="webhooks-quarter-steps")


# -- after a write --------------------------------------------------------------------------------------
def kick():
    """Queue one dispatch (after a commit that changed records), unless one is queued already; sent
    from a thread of its own, so that a slow or absent broker never holds the request."""
    if cache.add(QUEUED_KEY, 1, 10):
        threading.Thread(target=_send_dispatch, daemon=True, name="webhooks-kick").start()


def _send_dispatch():
    try:
        current_app.send_task(DISPATCH_TASK, retry=False)
    except Exception:  # noqa: BLE001 - the broker is down: beat's dispatch, every minute, sends them
        cache.delete(QUEUED_KEY)


def _records_changed(sender, changes, using, **kwargs):
    if any_active():
        transaction.on_commit(kick, using=using)


record_changes.records_changed.connect(_records_changed, dispatch_uid="webhooks-records-changed")


# -- sending -------------------------------------------------------------------------------------------
def backoff(attempts):
    """Seconds until the next attempt after ``attempts`` failed ones: 30 s, doubling, at most 2 hours."""
    return min(30 * 2 ** (attempts - 1), 7200)


def post(hook, delivery):
    """POST one delivery; returns (status or None, error text)."""
    timestamp = str(int(time.time()))
    body = delivery.payload.encode()
    request = urllib.request.Request(hook.url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "User-Agent": "Wenshang-Portal-Webhooks/1",
        "X-Wenshang-Event": delivery.event, "X-Wenshang-Delivery": str(delivery.uuid), "X-Wenshang-Timestamp": timestamp,
        SIGNATURE_HEADER: signature(hook.secret, timestamp, delivery.payload),
    })
    try:
        with urllib.request.urlopen(request, timeout=settings.WEBHOOK_TIMEOUT) as answer:  # noqa: S310 - http(s) only (URLField)
            return answer.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, str(reason)[:300] or type(exc).__name__


def deliver(delivery_id):
    """Send one due delivery, claimed under its row's lock (another worker skips it). Returns its state."""
    with transaction.atomic():
        delivery = (WebhookDelivery.objects.select_for_update(skip_locked=True).select_related("webhook")
                    .filter(pk=delivery_id, state=WebhookDelivery.State.PENDING).first())
        if delivery is None:
            return None
        lease = timezone.now() + dt.timedelta(seconds=settings.WEBHOOK_TIMEOUT * 3)  # a worker killed while sending: tried again
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=lease)
    status, error = post(delivery.webhook, delivery)
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_status, delivery.last_error = status, error
    if status is not None and 200 <= status < 300:
        delivery.state, delivery.delivered_at, delivery.next_attempt_at, delivery.last_error = (
            WebhookDelivery.State.DELIVERED, now, None, "")
    elif now + dt.timedelta(seconds=backoff(delivery.attempts)) > delivery.created_at + dt.timedelta(hours=settings.WEBHOOK_RETRY_HOURS):
        delivery.state, delivery.next_attempt_at = WebhookDelivery.State.FAILED, None
    else:
        delivery.next_attempt_at = now + dt.timedelta(seconds=backoff(delivery.attempts))
    delivery.save(update_fields=["attempts", "last_status", "last_error", "state", "delivered_at", "next_attempt_at"])
    return delivery.state


def send_due(limit=200):
    """Send the deliveries whose time has come, oldest first. Returns {state: count}."""
    due = list(WebhookDelivery.objects.filter(state=WebhookDelivery.State.PENDING, next_attempt_at__lte=timezone.now())
               .order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    out = {}
    for pk in due:
        state = deliver(pk)
        if state is not None:
            out[state] = out.get(state, 0) + 1
    return out


def dispatch():
    """Collect every active subscriber's record events, then send what is due (the task)."""
    cache.delete(QUEUED_KEY)
    for hook in Webhook.objects.filter(active=True).order_by("pk"):
        collect(hook)
    return send_due()


def redeliver(delivery):
    """Send a delivery again (the log page's button): pending now, its attempts counted on."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(state=WebhookDelivery.State.PENDING, next_attempt_at=timezone.now(),
                                                          created_at=timezone.now(), delivered_at=None)
    transaction.on_commit(kick)
