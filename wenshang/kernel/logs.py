"""Logging: a request id on every line, one log line per request, JSON lines in production.

Request id
    ``RequestLogMiddleware`` (first in ``MIDDLEWARE``) takes the X-Request-ID header of the
    request when it is a sane token (8-128 letters, digits, ".", "_", "-": what a load balancer
    or a client system sends), or else makes one (32 hex digits). It keeps it in a context
    variable for the time of the request, as ``request.request_id``, and in the X-Request-ID
    header of the response. ``RequestIdFilter`` (on every handler) puts it on each log record,
    so the lines of one request, its traceback included, can be found together, and a user or a
    client system can quote it (the API's 500 answer carries it).

Request log
    One line per request on the ``wenshang.request`` logger (INFO): method, path (never the query
    string, which may hold searched names or ID numbers), status, duration in milliseconds, user
    id and user name (when the request looked the user up), request id.

Formats
    ``logging_config("json")``: one JSON object a line (``JsonFormatter``), the production
    default; ``logging_config("text")``: a readable line, the default of ``make run`` and the
    tests. ``LOG_FORMAT`` chooses. Both formatters mask anything shaped like a national ID number
    or an API token in the whole line (messages, paths, tracebacks: a database error can quote a
    value); requests' bodies and headers are never logged.

Server errors
    Django logs every 500 on ``django.request`` at ERROR with its traceback (the API's too: its
    exception handler leaves unexpected errors to Django, whose ``handler500`` answers them).
    ``AdminEmailHandler`` mails them to ``ADMINS``, without the request's data; when
    ``SENTRY_DSN`` is set, production settings also send them to Sentry (``sentry_before_send``).
"""
import contextvars
import datetime
import json
import logging
import re
import time
import uuid

from django.conf import settings
from django.utils import log as django_log
from django.utils.functional import empty

request_id_var = contextvars.ContextVar("request_id", default="-")

REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._-]{8,128}")
ID_NUMBER_RE = re.compile(r"(?<![0-9])([0-9]{6})[0-9]{8}([0-9]{3}[0-9Xx])(?![0-9A-Za-z])")
API_TOKEN_RE = re.compile(r"ws_[A-Za-z0-9_-]+")

request_logger = logging.getLogger("wenshang.request")


def current_request_id():
    return request_id_var.get()


def mask(text):
    """``text`` with national ID numbers masked as the portal shows them (370830********1234) and
    API tokens cut to their prefix."""
    text = ID_NUMBER_RE.sub(r"\1********\2", text)
    return API_TOKEN_RE.sub("ws_***", text)


def administrators_notified():
    """Does a server error reach somebody: mail to ADMINS (sent only when DEBUG is off) or Sentry?"""
    return bool(getattr(settings, "SENTRY_DSN", "")) or (bool(settings.ADMINS) and not settings.DEBUG)


# -- the request id and the request log -----------------------------------------------------------


class RequestIdFilter(logging.Filter):
    """Puts the request id on every record as ``request_id``: the id of the record's request
    (Django logs a 4xx on ``django.request`` after the middleware has returned), else the current
    one ("-" outside a request)."""

    def filter(self, record):
        request = getattr(record, "request", None)
        record.request_id = getattr(request, "request_id", None) or request_id_var.get()
        return True


def _user_of(request):
    """(id, user name) of the request's user, or (None, "") for an anonymous request. A user the
    request never looked up (static files, say) is not looked up just for the log."""
    user = getattr(request, "user", None)
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None, ""
    if not user.is_authenticated:
        return None, ""
    return user.pk, user.get_username()


class RequestLogMiddleware:
    """Gives each request its id (see the module's documentation) and logs one line for it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if REQUEST_ID_RE.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            user_id, username = _user_of(request)
            request_logger.info(
                "%s %s %s %sms",
                request.method,
                request.path,
                response.status_code,
                duration_ms,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                    "user_id": user_id,
                    "user": username,
                },
            )
            return response
        finally:
            request_id_var.reset(token)


# -- formatters -----------------------------------------------------------------------------------


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, request_id, message, the request log's
    fields when present, and the traceback as ``exc_info``."""

    FIELDS = ("method", "path", "status", "duration_ms", "user_id", "user")

    def format(self, record):
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        for name in self.FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if "status" not in entry and hasattr(record, "status_code"):  # django.request's records
            entry["status"] = record.status_code
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return mask(json.dumps(entry, ensure_ascii=False, default=str))


class TextFormatter(logging.Formatter):
    """Django's usual readable lines (for ``make run``), masked as the JSON lines are."""

    def format(self, record):
        return mask(super().format(record))


# -- mail and Sentry ------------------------------------------------------------------------------


class AdminEmailHandler(django_log.AdminEmailHandler):
    """Django's mail to ``ADMINS``, holding only the log line and its traceback (masked): not
    Django's error report, whose request data (query string, form fields) and local variables
    can hold personal data. The subject carries the request id."""

    def emit(self, record):
        if not settings.ADMINS:
            return
        subject = self.format_subject(f"[{getattr(record, 'request_id', '-')}] {record.levelname}: {mask(record.getMessage())}")
        self.send_mail(subject, self.format(record), fail_silently=True)


def sentry_before_send(event, hint):
    """Sentry's ``before_send``: tags the event with the request id; drops the request's query
    string, body and cookies; masks ID numbers in exception messages and log messages."""
    event.setdefault("tags", {})["request_id"] = request_id_var.get()
    request = event.get("request")
    if request:
        for key in ("query_string", "data", "cookies"):
            request.pop(key, None)
    for exception in event.get("exception", {}).get("values", []):
        if isinstance(exception.get("value"), str):
            exception["value"] = mask(exception["value"])
    logentry = event.get("logentry")
    if logentry:
        for key in ("message", "formatted"):
            if isinstance(logentry.get(key), str):
                logentry[key] = mask(logentry[key])
        logentry.pop("params", None)
    return event


# -- the LOGGING setting ----------------------------------------------------------------------------


def logging_config(log_format="text", level="WARNING"):
    """The ``LOGGING`` setting: everything to the console in ``log_format`` ("json" or "text")
    from ``level`` up, the request log (INFO) too, and server errors mailed to ``ADMINS``."""
    if log_format not in ("json", "text"):
        raise ValueError(f"LOG_FORMAT must be json or text, not {log_format!r}.")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "wenshang.kernel.logs.RequestIdFilter"},
            "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
        },
        "formatters": {
            "json": {"()": "wenshang.kernel.logs.JsonFormatter"},
            "text": {"()": "wenshang.kernel.logs.TextFormatter", "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": log_format, "filters": ["request_id"]},
            "mail_admins": {
                "class": "wenshang.kernel.logs.AdminEmailHandler",
                "level": "ERROR",
                "formatter": "text",
                "filters": ["request_id", "require_debug_false"],
            },
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's own handlers (a console for DEBUG, its mail) are replaced by the root's.
            "django": {"handlers": [], "level": level},
            "django.request": {"handlers": ["mail_admins"]},
            "wenshang.request": {"level": "INFO"},
        },
    }
