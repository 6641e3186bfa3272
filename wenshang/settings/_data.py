"""Where data live: the database, the cache and the task queue (Celery's broker and results).

No ``DATABASE_URL`` means SQLite in ``VAR_DIR``; no ``REDIS_URL`` means a local-memory cache and
kombu's filesystem broker, so ``make run`` works on a bare machine. The folders these need are
listed in ``LOCAL_FOLDERS`` and created when the ``wenshang`` app starts, not here.
"""
from pathlib import Path

from wenshang.settings._core import TIME_ZONE
from wenshang.settings.env import VAR_DIR, env

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
# A save's recomputation of the figures' aggregates runs as a statement prepared once per connection
# on PostgreSQL (wenshang.web.aggregates); off behind a pooler in transaction mode (PgBouncer's),
# which does not keep a session's prepared statements.
METRICS_PREPARED = env.bool("METRICS_PREPARED", default=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process and the worker read while the other writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", "timeout": 20}
    )

# A PostgreSQL streaming replica (optional) for the reads of the dashboards, the survey board and
# reports and the API; writes, migrations, every other page and the reads of a user who has just
# written stay on the primary (wenshang.kernel.routers; README, "A province-sized deployment").
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
DATABASE_REPLICA_READS = bool(DATABASE_REPLICA_URL)  # the test settings turn it off but in test_replica.py
DATABASE_REPLICA_PIN_SECONDS = env.int("DATABASE_REPLICA_PIN_SECONDS", default=10)
DATABASE_REPLICA_MAX_LAG = env.float("DATABASE_REPLICA_MAX_LAG", default=30.0)
DATABASE_REPLICA_CHECK_SECONDS = 5.0  # how often each process asks the replica how far behind it is
# GET/HEAD/OPTIONS requests whose path matches one of these read from the replica.
DATABASE_REPLICA_PATHS = [r"/$", r"/dashboard/", r"/reports/", r"/api/"]
# Always read on the primary (apps or app.model): who is logged in, with which rights, which token.
DATABASE_REPLICA_PRIMARY_ONLY = {"sessions", "auth", "contenttypes", "admin", "wenshang.user", "wenshang.apitoken"}
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"].setdefault("CONN_MAX_AGE", DATABASES["default"]["CONN_MAX_AGE"])
    if "postgresql" in DATABASES["replica"]["ENGINE"]:
        DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 3)  # a host that is down
    # Tests read the primary's test database through the replica (streaming copies every database),
    # never a test database of the replica's own.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["wenshang.kernel.routers.ReplicaRouter"]

_celery_dir = VAR_DIR / "celery"
# Folders a process needs before it opens the database or the broker (WenshangConfig.ready makes them).
LOCAL_FOLDERS = [VAR_DIR, _celery_dir]
_sqlite_name = DATABASES["default"].get("NAME") if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" else None
if _sqlite_name and _sqlite_name != ":memory:" and Path(_sqlite_name).parent not in LOCAL_FOLDERS:
    LOCAL_FOLDERS.append(Path(_sqlite_name).parent)  # a DATABASE_URL of sqlite:////elsewhere/db.sqlite3

# Redis when configured; otherwise a local cache and a broker that needs no server.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Must exceed the longest task's hard time limit (REPORT_TIME_LIMIT), or a slow report is delivered twice.
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
        # The broker must answer a request quickly (see REPORT_SEND_RETRY_POLICY).
        "socket_timeout": 1.0,
        "socket_connect_timeout": 1.0,
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    _broker_dir = _celery_dir / "broker"
    CELERY_BROKER_URL = "filesystem://localhost//"  # a host is named only to quiet kombu
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_celery_dir / "processed"),
        "control_folder": str(_celery_dir / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = f"file://{_celery_dir / 'results'}"
    LOCAL_FOLDERS += [_broker_dir, *(_celery_dir / name for name in ("processed", "results", "control"))]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BEAT_SCHEDULE_FILENAME = str(_celery_dir / "beat-schedule")
