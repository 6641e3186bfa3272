"""Settings shared by every environment, read from the environment with embedded defaults.

No ``DATABASE_URL`` means SQLite in ``var/``; no ``REDIS_URL`` means a local-memory cache and
kombu's filesystem broker, so ``make run`` works on a bare machine.
"""
import datetime
from email.utils import getaddresses
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

from wenshang.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("WENSHANG_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
VAR_DIR.mkdir(parents=True, exist_ok=True)  # SQLite database, broker folders, media of a local run

SECRET_KEY = env.str("SECRET_KEY", default="insecure-local-development-key-change-me-0123456789abcdef")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "wenshang",
    "villages",
    "alliances",
    "grids",
    "finance",
    "talent",
]

MIDDLEWARE = [
    "wenshang.logs.RequestLogMiddleware",  # first: every response gets its request id and log line
    "wenshang.csp.ContentSecurityPolicyMiddleware",  # before whitenoise: static files get the policy too
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "wenshang.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "wenshang.accounts.SessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wenshang.audit.AuditMiddleware",
]

ROOT_URLCONF = "wenshang.urls"
WSGI_APPLICATION = "wenshang.wsgi.application"
AUTH_USER_MODEL = "wenshang.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wenshang.context_processors.portal",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process and the worker read while the other writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", "timeout": 20}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "wenshang" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(VAR_DIR / "media"))
MEDIA_URL = "/media/"

# The date the data describe. The demo county is Wenshang as of 2024-06-30, the article's time.
PORTAL_DATA_AS_OF = datetime.date.fromisoformat(env.str("PORTAL_DATA_AS_OF", default="2024-06-30"))

# Redis when configured; otherwise a local cache and a broker that needs no server.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    _broker_dir = VAR_DIR / "celery" / "broker"
    CELERY_BROKER_URL = "filesystem://localhost//"  # a host is named only to quiet kombu
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = f"file://{VAR_DIR / 'celery' / 'results'}"
    for _folder in (_broker_dir, *(VAR_DIR / "celery" / name for name in ("processed", "results", "control"))):
        _folder.mkdir(parents=True, exist_ok=True)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_BROKER_CONNECTION_TIMEOUT = 3

# The list pages' filters: an empty choice means "all records" (wenshang.filters).
FILTERS_EMPTY_CHOICE_LABEL = _("All")

# The REST API (wenshang.api): tokens for systems, the session for the browser.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "wenshang.api.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["wenshang.api.auth.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api": env.str("API_RATE", default="600/min")},
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer", "rest_framework.renderers.BrowsableAPIRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "wenshang.api.views.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "wenshang.api.schema.PortalAutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
API_MAX_BODY = env.int("API_MAX_BODY", default=5 * 1024 * 1024)  # bytes per request
API_BULK_MAX = env.int("API_BULK_MAX", default=1000)  # records per bulk request

SPECTACULAR_SETTINGS = {
    "TITLE": "汶上县乡村振兴“三链融合”服务平台 接口",
    "DESCRIPTION": (
        "供其他系统（省乡村振兴平台、网格员手机应用、银行信贷系统等）读取和提交数据的接口。"
        "每类记录一个端点：/api/v1/<应用>/<记录类别>/。认证用系统令牌（请求头 Authorization: Bearer ws_…）；"
        "令牌有范围（全县或一个镇街）、只读或读写、有效期，可随时吊销。错误一律答 "
        "{status, code, message, errors}。身份证号、手机号默认打码。"
    ),
    "VERSION": "1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": STATIC_URL + "vendor/swagger-ui-5.33.1",
    "SWAGGER_UI_FAVICON_HREF": STATIC_URL + "vendor/swagger-ui-5.33.1/favicon-32x32.png",
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True, "displayRequestDuration": True, "docExpansion": "none", "filter": True},
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_GENERATE_CHOICE_DESCRIPTION": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {  # one name per choice set (several models have a "tier" or a "status")
        "TierEnum": "villages.choices.Tier",
        "PairingStatusEnum": "alliances.choices.PairingStatus",
        "ResponsibilityStatusEnum": "alliances.choices.ResponsibilityStatus",
        "LoanStatusEnum": "finance.choices.LoanStatus",
        "EventStatusEnum": "grids.choices.EventStatus",
        "ReserveStatusEnum": "talent.choices.ReserveStatus",
        "ProjectStatusEnum": "villages.choices.ProjectStatus",
        "ProblemStatusEnum": "villages.choices.ProblemStatus",
    },
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = 12 * 60 * 60

# Logging (wenshang.logs): a request id on every line, one line per request (wenshang.request),
# LOG_FORMAT "text" (readable, the default here) or "json" (one object a line, production's default).
LOG_LEVEL = env.str("LOG_LEVEL", default="WARNING")
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
LOGGING = logging_config(LOG_FORMAT, LOG_LEVEL)
# Server errors are mailed to ADMINS ("Name <address>" separated by commas) from SERVER_EMAIL,
# through the mail server of EMAIL_URL (django-environ: smtp+tls://user:password@host:587).
ADMINS = [(name, address) for name, address in getaddresses([env.str("ADMINS", default="")]) if address]
SERVER_EMAIL = env.str("SERVER_EMAIL", default="root@localhost")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=SERVER_EMAIL)
if env.str("EMAIL_URL", default=""):
    globals().update(env.email_url("EMAIL_URL"))  # EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, ...

PORTAL_NAME = _("Wenshang County Rural Revitalization Portal")

# Accounts: sessions and lockout
# Five failed logins for one user name from one address lock that pair for 15 minutes (cache).
# The backend enforces it for every login form, the Django admin's included.
AUTHENTICATION_BACKENDS = ["wenshang.accounts.LockoutBackend"]
LOGIN_FAILURE_LIMIT = 5
LOGIN_LOCKOUT_MINUTES = 15
# Reverse proxies in front of the portal that append to X-Forwarded-For; 0 means use REMOTE_ADDR.
LOGIN_LOCKOUT_PROXY_COUNT = env.int("LOGIN_LOCKOUT_PROXY_COUNT", default=0)
# Sessions end after 30 minutes without a request, and 12 hours after login whatever the activity
# (wenshang.accounts.SessionTimeoutMiddleware); the cookie never outlives the absolute limit.
SESSION_IDLE_TIMEOUT = 30 * 60
SESSION_ABSOLUTE_TIMEOUT = 12 * 60 * 60
SESSION_COOKIE_AGE = min(SESSION_COOKIE_AGE, SESSION_ABSOLUTE_TIMEOUT)

# Spreadsheet imports
# Files above this size are refused with a message (the 199,900 homestead parcels of the county
# are about 30 MB as CSV and 10-16 MB as XLSX).
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=50 * 1024 * 1024)
# From this many rows on, checking and writing run in the ``wenshang.run_import`` Celery task with
# a progress bar; smaller files are done in the request.
IMPORT_ASYNC_ROWS = env.int("IMPORT_ASYNC_ROWS", default=5000)
# A workbook (XLSX or ODS is a zip) is refused before it is parsed when its parts together unpack
# to more than this, or a part above 1 MB unpacks to more than IMPORT_MAX_COMPRESSION_RATIO times
# its packed size (a zip bomb: 1.5 MB that unpacks to 1.5 GB).
IMPORT_MAX_UNPACKED_BYTES = env.int("IMPORT_MAX_UNPACKED_BYTES", default=200 * 1024 * 1024)
IMPORT_MAX_COMPRESSION_RATIO = env.int("IMPORT_MAX_COMPRESSION_RATIO", default=100)
# Uploaded files and problem lists are deleted this many days after the upload (the
# ``wenshang.purge_imports`` task below, or ``manage.py purge_imports``); the job stays as a record.
IMPORT_RETENTION_DAYS = env.int("IMPORT_RETENTION_DAYS", default=30)
# Uploads go to a temporary file above FILE_UPLOAD_MAX_MEMORY_SIZE (Django's 2.5 MB default), so a
# large file is never held in memory; DATA_UPLOAD_MAX_MEMORY_SIZE does not count file fields.

# -- Survey reports (wenshang.reports) -------------------------------------------------------------
# The quarterly grand-survey reports are made by the ``reports.build`` Celery task (acks late and
# rejected when its worker is lost: a worker killed mid-report re-runs it once; see wenshang/reports/
# tasks.py). Files go to MEDIA_ROOT/reports/, written under a temporary name and renamed when complete.
from celery.schedules import crontab  # noqa: E402

REPORTS_DIR = env.str("REPORTS_DIR", default=str(Path(MEDIA_ROOT) / "reports"))
REPORT_SOFT_TIME_LIMIT = env.int("REPORT_SOFT_TIME_LIMIT", default=10 * 60)  # seconds: the run fails with a reason
REPORT_TIME_LIMIT = env.int("REPORT_TIME_LIMIT", default=12 * 60)  # seconds: the worker process is killed
# A running report with no sign of life for this long is taken over (or failed after REPORT_MAX_ATTEMPTS runs).
REPORT_STALE_SECONDS = env.int("REPORT_STALE_SECONDS", default=REPORT_TIME_LIMIT + 60)
REPORT_MAX_ATTEMPTS = env.int("REPORT_MAX_ATTEMPTS", default=3)
# A queued report whose message the broker took this long ago but no worker started is sent again.
REPORT_RESEND_SECONDS = env.int("REPORT_RESEND_SECONDS", default=10 * 60)
# The Chinese font embedded (as a subset) in the PDF: Noto Sans SC, shipped with the project
# (wenshang/reports/fonts/, SIL Open Font License), so a fresh machine needs no system font.
# REPORT_FONT_INDEX picks the font of a collection (.ttc): 2 is SC in Noto Sans CJK's.
REPORT_FONT = env.str("REPORT_FONT", default=str(BASE_DIR / "wenshang" / "reports" / "fonts" / "NotoSansSC-Regular.ttf"))
REPORT_FONT_BOLD = env.str("REPORT_FONT_BOLD", default=str(BASE_DIR / "wenshang" / "reports" / "fonts" / "NotoSansSC-Bold.ttf"))
REPORT_FONT_INDEX = env.int("REPORT_FONT_INDEX", default=0)
# The broker must answer a request quickly: a down or hanging broker costs the request ~1 s, then
# the report stays queued (the outbox) and is sent by the sweep below once the broker is back.
REPORT_SEND_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
if REDIS_URL:
    # visibility_timeout must exceed the hard time limit, or a slow report would be delivered twice.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        **CELERY_BROKER_TRANSPORT_OPTIONS,
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)),
        "socket_timeout": 1.0,
        "socket_connect_timeout": 1.0,
    }
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celery" / "beat-schedule")
CELERY_BEAT_SCHEDULE = {
    # 00:30 on the first day of each quarter: the county's and every township's report of the quarter before.
    "quarterly-survey-reports": {"task": "reports.quarterly", "schedule": crontab(minute=30, hour=0, day_of_month=1, month_of_year="1,4,7,10")},
    # Reports whose message never reached the broker (it was down) are sent again.
    "send-queued-reports": {"task": "reports.send_queued", "schedule": 60.0},
    # 03:15 every day: uploaded import files and problem lists older than IMPORT_RETENTION_DAYS are deleted.
    "purge-old-imports": {"task": "wenshang.purge_imports", "schedule": crontab(minute=15, hour=3)},
}
# -- end of survey reports ---------------------------------------------------------------------------
