"""Production: gunicorn + whitenoise, PostgreSQL and Redis. Refuses to start without its secrets and Redis."""
from django.core.exceptions import ImproperlyConfigured

from wenshang.kernel.logs import logging_config, sentry_before_send
from wenshang.settings.env import env

for _name in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"):
    if not env.str(_name, default=""):
        raise ImproperlyConfigured(f"Production settings need the environment variable {_name}.")
if not env.str("REDIS_URL", default=""):
    raise ImproperlyConfigured(
        "Production settings need the environment variable REDIS_URL: the login lockout and the API "
        "throttle count in the cache, which every gunicorn worker must share (with each worker's own "
        "local-memory cache, every worker would allow its own five failed logins)."
    )

from wenshang.settings.base import *
from wenshang.settings.base import DATABASES, LOG_LEVEL

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[f"https://{h}" for h in ALLOWED_HOSTS])

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Keep database connections between requests (a new PostgreSQL connection costs ~8 ms a request).
# Django reads this from DATABASES, not from a top-level CONN_MAX_AGE.
for _alias in DATABASES:  # the primary and the replica, if any
    DATABASES[_alias]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES[_alias]["CONN_HEALTH_CHECKS"] = True

# JSON log lines unless LOG_FORMAT says otherwise (wenshang.kernel.logs).
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
LOGGING = logging_config(LOG_FORMAT, LOG_LEVEL)

# Server errors to Sentry when SENTRY_DSN is set: no personal data, no local variables, no request
# bodies; each event tagged with its request id (wenshang.kernel.logs.sentry_before_send).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk  # only when Sentry is configured

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=sentry_before_send,
    )
