"""Accounts and safety: passwords, logins and their lockout, sessions, logging and error mail.
(The Content-Security-Policy is set by ``wenshang.kernel.csp``; production's HTTPS settings are in
``production.py``.)"""
from email.utils import getaddresses

from wenshang.kernel.logs import logging_config
from wenshang.settings.env import env

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Five failed logins for one user name from one address lock that pair for 15 minutes (cache).
# The backend enforces it for every login form, the Django admin's included.
AUTHENTICATION_BACKENDS = ["wenshang.accounts.views.LockoutBackend"]
LOGIN_FAILURE_LIMIT = 5
LOGIN_LOCKOUT_MINUTES = 15
# Reverse proxies in front of the portal that append to X-Forwarded-For; 0 means use REMOTE_ADDR.
LOGIN_LOCKOUT_PROXY_COUNT = env.int("LOGIN_LOCKOUT_PROXY_COUNT", default=0)

# Sessions end after 30 minutes without a request, and 12 hours after login whatever the activity
# (wenshang.accounts.views.SessionTimeoutMiddleware); the cookie never outlives the absolute limit.
SESSION_IDLE_TIMEOUT = 30 * 60
SESSION_ABSOLUTE_TIMEOUT = 12 * 60 * 60
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT

# Logging (wenshang.kernel.logs): a request id on every line, one line per request (wenshang.request),
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
