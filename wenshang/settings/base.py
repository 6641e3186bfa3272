"""Settings shared by every environment, read from the environment with embedded defaults.

One reader of the environment (``env.py``: ``env``, ``BASE_DIR``, ``VAR_DIR``), the settings by concern:

- ``_core.py``: Django itself (secrets, apps, middleware, templates, languages, static and media files);
- ``_data.py``: the database, the cache and Celery's broker (SQLite and a filesystem broker without
  ``DATABASE_URL`` / ``REDIS_URL``, so ``make run`` works on a bare machine);
- ``_security.py``: passwords, login lockout, sessions, logging and error mail;
- ``_portal.py``: the portal's own (data-as-of date, imports, survey reports, periodic tasks, REST API).

Every environment variable is listed in ``.env.example``. Importing the settings writes nothing:
the folders of ``LOCAL_FOLDERS`` are created when the ``wenshang`` app starts.
"""
from wenshang.settings._core import *
from wenshang.settings._data import *
from wenshang.settings._portal import *
from wenshang.settings._security import *
from wenshang.settings.env import BASE_DIR, VAR_DIR, env  # noqa: F401 - for local.py, production.py and test.py
