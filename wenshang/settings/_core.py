"""Django itself: secrets and hosts, apps, middleware, templates, languages, static and media files."""
from django.utils.translation import gettext_lazy as _

from wenshang.settings.env import BASE_DIR, VAR_DIR, env

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
    "wenshang.kernel.logs.RequestLogMiddleware",  # first: every response gets its request id and log line
    "wenshang.kernel.routers.ReplicaReadsMiddleware",  # reads on the replica, if any (DATABASE_REPLICA_URL)
    "wenshang.kernel.csp.ContentSecurityPolicyMiddleware",  # before whitenoise: static files get the policy too
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "wenshang.web.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "wenshang.accounts.views.SessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wenshang.kernel.audit.AuditMiddleware",
]

ROOT_URLCONF = "wenshang.urls"
WSGI_APPLICATION = "wenshang.wsgi.application"
AUTH_USER_MODEL = "wenshang.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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
                "wenshang.web.context_processors.portal",
            ],
            # The web layer's template tags live in wenshang/web/templatetags/, named here
            # (Django looks only in each app's top-level templatetags/ by itself).
            "libraries": {
                "formats": "wenshang.web.templatetags.formats",
                "portal": "wenshang.web.templatetags.portal",
            },
        },
    },
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

# The list pages' filters: an empty choice means "all records" (wenshang.web.filters).
FILTERS_EMPTY_CHOICE_LABEL = _("All")
