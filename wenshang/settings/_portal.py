"""The portal's own settings: the data's date, spreadsheet imports, survey reports, the REST API and
the periodic tasks."""
import datetime
from pathlib import Path

from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from wenshang.settings._core import MEDIA_ROOT, STATIC_URL
from wenshang.settings.env import BASE_DIR, env

PORTAL_NAME = _("Wenshang County Rural Revitalization Portal")
# The date the data describe. The demo county is Wenshang as of 2024-06-30, the article's time.
# The quarter close: a township submits a quarter within this many days of its end (late ones are flagged).
QUARTER_SUBMIT_DAYS = env.int("QUARTER_SUBMIT_DAYS", default=10)
PORTAL_DATA_AS_OF = datetime.date.fromisoformat(env.str("PORTAL_DATA_AS_OF", default="2024-06-30"))

# -- Spreadsheet imports ----------------------------------------------------------------------------
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

# -- Survey reports (wenshang.reports) --------------------------------------------------------------
# The quarterly grand-survey reports are made by the ``reports.build`` Celery task (acks late and
# rejected when its worker is lost: a worker killed mid-report re-runs it once; see wenshang/reports/
# tasks.py). Files go to MEDIA_ROOT/reports/, written under a temporary name and renamed when complete.
REPORTS_DIR = env.str("REPORTS_DIR", default=str(Path(MEDIA_ROOT) / "reports"))
REPORT_SOFT_TIME_LIMIT = env.int("REPORT_SOFT_TIME_LIMIT", default=10 * 60)  # seconds: the run fails with a reason
REPORT_TIME_LIMIT = env.int("REPORT_TIME_LIMIT", default=12 * 60)  # seconds: the worker process is killed
# -- Background work (wenshang.kernel.leases): reports and imports run under a lease their run renews
# every WORK_LEASE_RENEW_SECONDS; work whose lease ran out (its process is gone, whatever killed it)
# is taken over at a worker's start and by the sweeps below, up to WORK_MAX_ATTEMPTS runs.
WORK_LEASE_SECONDS = env.int("WORK_LEASE_SECONDS", default=30)
WORK_LEASE_RENEW_SECONDS = env.int("WORK_LEASE_RENEW_SECONDS", default=5)
WORK_MAX_ATTEMPTS = env.int("WORK_MAX_ATTEMPTS", default=3)
REPORT_MAX_ATTEMPTS = env.int("REPORT_MAX_ATTEMPTS", default=WORK_MAX_ATTEMPTS)
# Work the broker could not take for this long is shown as waiting for the queue (it starts once the
# queue is back); before that the person is told it is queued.
WORK_QUEUE_WARN_SECONDS = env.int("WORK_QUEUE_WARN_SECONDS", default=60)
# A queued report whose message the broker took this long ago but no worker started is sent again.
REPORT_RESEND_SECONDS = env.int("REPORT_RESEND_SECONDS", default=10 * 60)
# The Chinese font embedded (as a subset) in the PDF: Noto Sans SC, shipped with the project
# (wenshang/reports/fonts/, SIL Open Font License), so a fresh machine needs no system font.
# REPORT_FONT_INDEX picks the font of a collection (.ttc): 2 is SC in Noto Sans CJK's.
_fonts = BASE_DIR / "wenshang" / "reports" / "fonts"
REPORT_FONT = env.str("REPORT_FONT", default=str(_fonts / "NotoSansSC-Regular.ttf"))
REPORT_FONT_BOLD = env.str("REPORT_FONT_BOLD", default=str(_fonts / "NotoSansSC-Bold.ttf"))
REPORT_FONT_INDEX = env.int("REPORT_FONT_INDEX", default=0)
# The broker must answer a request quickly: a down or hanging broker costs the request ~1 s, then
# the report stays queued (the outbox) and is sent by the sweep below once the broker is back.
REPORT_SEND_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}

# -- Periodic tasks (Celery beat) -------------------------------------------------------------------
CELERY_BEAT_SCHEDULE = {
    # 00:30 on the first day of each quarter: the county's and every township's report of the quarter before.
    "quarterly-survey-reports": {"task": "reports.quarterly", "schedule": crontab(minute=30, hour=0, day_of_month=1, month_of_year="1,4,7,10")},
    # Reports whose message never reached the broker (it was down) are sent again; reports whose lease ran out taken over.
    "send-queued-reports": {"task": "reports.send_queued", "schedule": 60.0},
    # The same for spreadsheet imports being checked or written.
    "sweep-imports": {"task": "wenshang.sweep_imports", "schedule": 60.0},
    # 03:15 every day: uploaded import files and problem lists older than IMPORT_RETENTION_DAYS are deleted.
    "purge-old-imports": {"task": "wenshang.purge_imports", "schedule": crontab(minute=15, hour=3)},
    # 02:40 every day: the figures' aggregates recomputed from the records; differences are logged (wenshang.metrics).
    "verify-metrics": {"task": "wenshang.verify_metrics", "schedule": crontab(minute=40, hour=2)},
    # Every hour: the API's idempotency keys older than API_IDEMPOTENCY_HOURS are deleted.
    "purge-idempotency-keys": {"task": "wenshang.purge_idempotency_keys", "schedule": crontab(minute=20)},
    # Every minute: webhook events collected from the change log, due deliveries (and retries) sent.
    "deliver-webhooks": {"task": "wenshang.webhooks", "schedule": 60.0},
}

# -- The REST API (wenshang.api): tokens for systems, the session for the browser -------------------
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
API_BULK_MAX = env.int("API_BULK_MAX", default=5000)  # records per bulk request
WEBHOOK_TIMEOUT = env.int("WEBHOOK_TIMEOUT", default=10)  # seconds a subscriber has to answer a delivery
WEBHOOK_RETRY_HOURS = env.int("WEBHOOK_RETRY_HOURS", default=24)  # a delivery not answered 2xx is tried again for so long
API_IDEMPOTENCY_HOURS = env.int("API_IDEMPOTENCY_HOURS", default=24)  # a retry with the same Idempotency-Key within it: the first answer

SPECTACULAR_SETTINGS = {
    "TITLE": "Wenshang Portal API",  # a generated client's package is named after it: ASCII
    "DESCRIPTION": (
        "汶上县乡村振兴“三链融合”服务平台接口。供其他系统（省乡村振兴平台、网格员手机应用、银行信贷系统等）读取和提交数据的接口。"
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
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "wenshang.api.schema.postprocess"],
    "ENUM_NAME_OVERRIDES": {  # one name per choice set (several models have a "tier" or a "status")
        "TierEnum": "villages.choices.Tier",
        "PairingStatusEnum": "alliances.choices.PairingStatus",
        "ResponsibilityStatusEnum": "alliances.choices.ResponsibilityStatus",
        "LoanStatusEnum": "finance.choices.LoanStatus",
        "EventStatusEnum": "grids.choices.EventStatus",
        "ReserveStatusEnum": "talent.choices.ReserveStatus",
        "ProjectStatusEnum": "villages.choices.ProjectStatus",
        "ProblemStatusEnum": "villages.choices.ProblemStatus",
        "VillageKindEnum": "villages.choices.VillageKind",
        "PartySchoolLevelEnum": "talent.choices.PartySchoolLevel",
        "SubmissionStateEnum": "wenshang.closing.models.Submission.State",
        "ChangeActionEnum": "wenshang.kernel.choices.ChangeAction",
        "CorrectionActionEnum": "wenshang.closing.models.Correction.Action",
    },
}
