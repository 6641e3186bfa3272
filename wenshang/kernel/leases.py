"""Background work held under a lease: the one way the portal runs a person's work in a worker
(survey reports, spreadsheet imports).

The work's row is its record (waiting, running, done, failed; progress; attempts; who holds it).
A run **claims** the row under a row lock: it counts an attempt, names its ``holder`` (host and
process) and sets ``lease_until`` a little ahead (``WORK_LEASE_SECONDS``). While it runs, a thread
of its own **renews** the lease every few seconds (``WORK_LEASE_RENEW_SECONDS``), so a row whose
lease has expired is work whose process is gone, whatever stopped it (a killed pool process, the
whole worker killed, the machine restarted), and is taken over within a minute by the sweep of
the work's own kind (at a worker's start, ``LEASE_SECONDS`` after it, and every minute by beat):
sent again, up to ``WORK_MAX_ATTEMPTS`` runs, after which the row says why it stopped. A run that
outlives its lease (a stalled database) finds the row taken and stops without writing.

The message to the broker is sent after the row is committed, from the row (the outbox,
``publish``): a send that fails or hangs leaves the row waiting, and the sweep sends it when the
broker answers again.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading

from django.conf import settings
from django.db import connections, router
from django.db.models import Q
from django.utils import timezone

logger = logging.getLogger(__name__)


def lease_seconds():
    return getattr(settings, "WORK_LEASE_SECONDS", 30)


def renew_seconds():
    return getattr(settings, "WORK_LEASE_RENEW_SECONDS", 5)


def max_attempts():
    return getattr(settings, "WORK_MAX_ATTEMPTS", 3)


def holder():
    """Who holds a lease: the host and the process."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def until(now=None, seconds=None):
    return (now or timezone.now()) + dt.timedelta(seconds=lease_seconds() if seconds is None else seconds)


def expired(now=None):
    """The lookup of rows whose lease has run out (or that never had one while running)."""
    return Q(lease_until__lt=now or timezone.now()) | Q(lease_until__isnull=True)


class Renewal:
    """Renew the lease of one claimed row until stopped: ``queryset`` is the row as claimed (its id,
    attempt and running status), updated with a new ``lease_until`` every ``renew_seconds()``.
    ``lost`` is set when the row is no longer this run's (taken over, finished elsewhere)."""

    def __init__(self, queryset):
        self.queryset = queryset
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lease-renewal", daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(renew_seconds() + 10)
        return False

    def _run(self):
        alias = router.db_for_write(self.queryset.model)
        try:
            while not self._stop.wait(renew_seconds()):
                try:
                    if not self.queryset.using(alias).update(lease_until=until()):
                        self.lost.set()
                        return
                except Exception:  # noqa: BLE001 - a renewal missed: the next one tries again
                    logger.warning("lease renewal of %s failed", self.queryset.model.__name__, exc_info=True)
        finally:
            connections[alias].close()


def publish(send, timeout, on_late=None):
    """Call ``send()`` (hand a message to the broker) in a helper thread and wait at most ``timeout``
    seconds, so that a broker that is down or hangs never holds a person's request longer. Returns
    True when the broker took the message in time; if it takes it after the wait, ``on_late()`` is
    called then (in the helper thread, whose database connection is closed after it)."""
    outcome = {}
    waiting = threading.Event()  # set when the caller stopped waiting

    def run():
        try:
            send()
        except Exception as exc:  # noqa: BLE001 - the broker is down: the row stays in the outbox
            outcome["error"] = exc
            logger.warning("the broker did not take the message: %s", exc)
            return
        outcome["sent"] = True
        if waiting.is_set() and on_late is not None:
            try:
                on_late()
            finally:
                for connection in connections.all(initialized_only=True):
                    connection.close()

    thread = threading.Thread(target=run, name="publish", daemon=True)
    thread.start()
    thread.join(timeout)
    waiting.set()
    return bool(outcome.get("sent"))
