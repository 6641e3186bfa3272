"""Reads on a PostgreSQL streaming replica, writes on the primary (``DATABASE_REPLICA_URL``).

With ``DATABASE_REPLICA_URL`` set, ``settings.DATABASES`` has a second alias, ``replica``, and
``ReplicaRouter`` decides, query by query, where the ORM goes:

- **writes** (save, create, update, delete, ``select_for_update``, ``get_or_create``) always go to
  the primary (``default``); nothing is ever migrated on the replica;
- **reads go to the replica only inside a replica block**: a ``GET``/``HEAD``/``OPTIONS`` request whose
  path is one of ``DATABASE_REPLICA_PATHS`` (the dashboards, the survey board and reports, the API:
  ``ReplicaReadsMiddleware``), or code wrapped in ``replica_reads()`` (a report's figures in the
  Celery worker). Everything else — forms, lists, imports, the admin, commands — reads the primary;
- even inside a replica block these read the primary: the models of ``DATABASE_REPLICA_PRIMARY_ONLY``
  (sessions, users, groups, API tokens: a logout, a revoked token or a changed role counts at once);
  reads inside ``transaction.atomic()``; and, in a request, every read after the request wrote a
  record (``db_for_write``) — the rest of that request is on the primary;
- **a user who has just written reads their own writes**: a ``POST``/``PUT``/``PATCH``/``DELETE`` sets
  the cookie ``wenshang_wrote`` (the time), and for a client sending ``Authorization`` (an API token)
  a cache key of that header, for ``DATABASE_REPLICA_PIN_SECONDS``; while either is fresh, that
  client's reads stay on the primary;
- **a replica that is unreachable, not a streaming standby (promoted, cut off from the primary) or
  more than ``DATABASE_REPLICA_MAX_LAG`` seconds behind, is not used**: each process checks it at most every ``DATABASE_REPLICA_CHECK_SECONDS`` (one query on the
  replica) and reads the primary meanwhile, with a warning on the ``wenshang.replica`` logger; a
  request during which the replica stops answering is served again from the primary.

A cache filled from the replica must not keep what the replica showed before it replayed a write:
``reads_on_replica()`` tells the caching code where it reads, and the dashboards keep what they
compute on the replica within ``DATABASE_REPLICA_MAX_LAG`` + ``DATABASE_REPLICA_CHECK_SECONDS`` of a
write only until that window has passed (``wenshang.dashboard.data``).

The kernel imports no app: paths and models are named in the settings (``wenshang/settings/_data.py``).
"""
import hashlib
import logging
import math
import re
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError, OperationalError, connections
from django.http import HttpResponse

REPLICA = "replica"
PIN_COOKIE = "wenshang_wrote"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

logger = logging.getLogger("wenshang.replica")

# Seconds the replica is behind the primary: 0 when it has replayed all it received, else the age
# of the last transaction it replayed; NULL when it is not a standby streaming from a primary (a
# promoted replica, whose data may have left the primary's) — then it is not used.
LAG_SQL = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN NULL
    WHEN NOT EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') THEN NULL
    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
    ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)
END
"""


@dataclass
class _Reads:
    replica: bool  # reads may go to the replica
    sticky: bool  # a request: once it writes, its reads go to the primary
    wrote: bool = False


_reads: ContextVar["_Reads | None"] = ContextVar("wenshang_replica_reads", default=None)
_health = {"checked": -math.inf, "usable": True}


def configured():
    """Is there a replica, and are reads sent to it (``DATABASE_REPLICA_READS``)?"""
    return REPLICA in settings.DATABASES and getattr(settings, "DATABASE_REPLICA_READS", False)


def _primary_only(model):
    names = settings.DATABASE_REPLICA_PRIMARY_ONLY
    return model._meta.app_label in names or model._meta.label_lower in names


def lag():
    """Seconds the replica is behind (``None``: not streaming). One query on the replica."""
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(LAG_SQL)
        (seconds,) = cursor.fetchone()
    return None if seconds is None else float(seconds)


def usable():
    """May reads go to the replica now? Checked at most every ``DATABASE_REPLICA_CHECK_SECONDS`` per
    process: reachable, streaming, at most ``DATABASE_REPLICA_MAX_LAG`` seconds behind."""
    now = time.monotonic()
    if now - _health["checked"] < settings.DATABASE_REPLICA_CHECK_SECONDS:
        return _health["usable"]
    _health["checked"] = now
    was = _health["usable"]
    try:
        if connections[REPLICA].vendor == "postgresql":
            seconds = lag()
        else:
            connections[REPLICA].ensure_connection()
            seconds = 0.0
    except DatabaseError as exc:
        _health["usable"] = False
        logger.warning("The replica cannot be reached (%s): reads stay on the primary.", exc)
        try:
            connections[REPLICA].close()
        except DatabaseError:
            pass
        return False
    ok = seconds is not None and seconds <= settings.DATABASE_REPLICA_MAX_LAG
    _health["usable"] = ok
    if not ok:
        state = "is not a standby streaming from the primary" if seconds is None else f"is {seconds:.1f} s behind"
        logger.warning("The replica %s: reads stay on the primary.", state)
    elif not was:
        logger.warning("The replica is usable again (%.1f s behind): reads go to it.", seconds)
    return ok


@contextmanager
def replica_reads():
    """The ORM's reads inside this block go to the replica (when one is configured and usable);
    writes, primary-only models and reads inside ``transaction.atomic()`` still go to the primary.
    For long read-only work outside a request, such as a report's figures."""
    if not configured() or not usable():
        yield
        return
    token = _reads.set(_Reads(replica=True, sticky=False))
    try:
        yield
    finally:
        _reads.reset(token)


@contextmanager
def primary_reads():
    """Every read inside this block goes to the primary, even in a replica request."""
    token = _reads.set(_Reads(replica=False, sticky=False))
    try:
        yield
    finally:
        _reads.reset(token)


def reads_on_replica():
    """Would a read of a replicated model go to the replica here (outside any atomic block)?"""
    state = _reads.get()
    return bool(state and state.replica and not state.wrote) and not connections[DEFAULT_DB_ALIAS].in_atomic_block


class ReplicaRouter:
    """``DATABASE_ROUTERS`` when ``DATABASE_REPLICA_URL`` is set (see the module's docstring)."""

    def db_for_read(self, model, **hints):
        # Always a name, never None: Django would otherwise follow the instance a related manager
        # came from, and read from the replica outside a replica block.
        state = _reads.get()
        if state is None or not state.replica or state.wrote or _primary_only(model):
            return DEFAULT_DB_ALIAS
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return REPLICA

    def db_for_write(self, model, **hints):
        state = _reads.get()
        if state is not None and state.sticky and not _primary_only(model):
            state.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same rows on both

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if db == REPLICA else None


# -- requests --------------------------------------------------------------------------------------


def _pin_key(authorization):
    return "replica:wrote:" + hashlib.sha256(authorization.encode()).hexdigest()[:32]


def pinned(request):
    """Did this client write less than ``DATABASE_REPLICA_PIN_SECONDS`` ago (its cookie, or its
    ``Authorization`` header's cache key)?"""
    try:
        wrote = float(request.COOKIES.get(PIN_COOKIE, ""))
    except ValueError:
        wrote = None
    if wrote is not None and time.time() - wrote < settings.DATABASE_REPLICA_PIN_SECONDS:
        return True
    authorization = request.headers.get("Authorization")
    return bool(authorization) and cache.get(_pin_key(authorization)) is not None


def pin(request, response):
    """This client wrote: its reads stay on the primary for ``DATABASE_REPLICA_PIN_SECONDS``."""
    seconds = settings.DATABASE_REPLICA_PIN_SECONDS
    if seconds <= 0:
        return
    response.set_cookie(PIN_COOKIE, f"{time.time():.3f}", max_age=seconds, httponly=True, samesite="Lax",
                        secure=settings.SESSION_COOKIE_SECURE)
    authorization = request.headers.get("Authorization")
    if authorization:
        cache.set(_pin_key(authorization), 1, seconds)


class ReplicaReadsMiddleware:
    """Reads of ``GET``/``HEAD``/``OPTIONS`` requests to ``DATABASE_REPLICA_PATHS`` go to the replica
    unless the client has just written; writing requests pin their client to the primary. Not used
    (``MiddlewareNotUsed``) when no replica is configured."""

    def __init__(self, get_response):
        if not configured():
            raise MiddlewareNotUsed
        self.get_response = get_response
        self.paths = re.compile("|".join(f"(?:{p})" for p in settings.DATABASE_REPLICA_PATHS))

    def wants_replica(self, request):
        return request.method in SAFE_METHODS and bool(self.paths.match(request.path_info)) and not pinned(request)

    def __call__(self, request):
        if request.method not in SAFE_METHODS:
            response = self.get_response(request)
            pin(request, response)
            return response
        if not (self.wants_replica(request) and usable()):
            return self.get_response(request)
        token = _reads.set(_Reads(replica=True, sticky=True))
        try:
            response = self.get_response(request)
        finally:
            _reads.reset(token)
        if getattr(request, "_replica_failed", False):
            # The replica failed under this request (see process_exception): once more on the primary.
            token = _reads.set(_Reads(replica=False, sticky=False))
            try:
                response = self.get_response(request)
            finally:
                _reads.reset(token)
        return response

    def process_exception(self, request, exception):
        """A database error in a replica request: if the replica no longer answers, the request is
        served again from the primary (a GET: safe to repeat) and the next ones read the primary."""
        state = _reads.get()
        if state is None or not state.replica or not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        _health["checked"] = -math.inf  # ask the replica now
        if usable():
            return None  # not the replica's doing: Django answers it as usual
        request._replica_failed = True
        return HttpResponse(status=503)  # set aside by __call__, which asks again
