"""The one reader of the environment for the settings, and the project's folders.

Every variable the settings read goes through ``env`` (django-environ) and is listed, with its
default and meaning, in ``.env.example`` at the project root (tests/wenshang/test_settings_env.py
checks both ways). Nothing here touches the disk: the folders under ``VAR_DIR`` that a local run
needs (``LOCAL_FOLDERS``) are created when the ``wenshang`` app starts (``WenshangConfig.ready``).
"""
from pathlib import Path

import environ

env = environ.Env()

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# SQLite database, broker folders, media and reports of a local run.
VAR_DIR = Path(env.str("WENSHANG_VAR_DIR", default=str(BASE_DIR / "var")))
