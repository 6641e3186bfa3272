"""Test settings: SQLite by default, PostgreSQL when ``DATABASE_URL`` is set, Redis when ``REDIS_URL`` is."""
import os

from wenshang.settings.base import *
from wenshang.settings.base import DATABASES, VAR_DIR

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so that a Celery worker process in a test can open the same database.
    # One file per test process, so two runs in one checkout do not share a database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}

# With a replica (DATABASE_REPLICA_URL) the suite runs with it configured, but reads stay on the
# primary: tests write through the ORM and read through pages at once, which a replica does not
# promise. tests/wenshang/test_replica.py turns the reads on and tests them against the replica.
DATABASE_REPLICA_READS = False

# No collectstatic outside production: whitenoise serves from the finders.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
