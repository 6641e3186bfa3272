"""The Content-Security-Policy of every response, and the endpoint where browsers report violations.

Scripts run only from the portal's own files: no inline ``<script>``, no ``on…=`` attribute, no
``eval``. Page behaviours are declared with data attributes and run by ``static/js/portal.js``; data
for a script travels in ``<script type="application/json">`` blocks (``json_script``), which are not
executed. Inline ``style`` attributes stay allowed (the templates and the libraries use them).

A violation is posted by the browser to ``/csp-report/`` and written to the ``wenshang.kernel.csp`` log:
a few known fields, each cut short and JSON-encoded (no line breaks or control characters of the
sender's reach the log), never the raw body.
"""
import json
import logging

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

logger = logging.getLogger("wenshang.kernel.csp")

REPORT_PATH = "/csp-report/"
POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
    "form-action 'self'",
    f"report-uri {REPORT_PATH}",
])

REPORT_MAX_BYTES = 16 * 1024  # a browser's report is well under 2 KB
REPORTS_PER_REQUEST = 10  # the Reporting API may post several in one body
FIELD_MAX_CHARS = 300
FIELDS = (  # report-uri's names; the Reporting API's (camelCase) are mapped to them
    ("document-uri", "documentURL"), ("referrer", "referrer"), ("violated-directive", "effectiveDirective"),
    ("effective-directive", "effectiveDirective"), ("blocked-uri", "blockedURL"), ("source-file", "sourceFile"),
    ("line-number", "lineNumber"), ("column-number", "columnNumber"), ("disposition", "disposition"),
    ("status-code", "statusCode"), ("script-sample", "sample"),
)


class ContentSecurityPolicyMiddleware:
    """Adds the policy to every response that has none (first in MIDDLEWARE: static files too)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", POLICY)
        return response


def _fields(report):
    """The known fields of one violation, as short strings."""
    out = {}
    for name, camel in FIELDS:
        value = report.get(name, report.get(camel))
        if value is None or value == "":
            continue
        out[name] = str(value)[:FIELD_MAX_CHARS]
    return out


@csrf_exempt
@require_POST
def report(request):
    """A browser's violation report (``application/csp-report`` or ``application/reports+json``):
    logged, answered 204. Larger bodies than ``REPORT_MAX_BYTES`` are refused unread (413)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > REPORT_MAX_BYTES:
        return HttpResponse(status=413)
    body = request.read(REPORT_MAX_BYTES + 1)  # a body sent without its length is cut here
    if len(body) > REPORT_MAX_BYTES:
        return HttpResponse(status=413)
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return HttpResponse(status=400)
    if isinstance(payload, dict):
        reports = [payload.get("csp-report")]
    elif isinstance(payload, list):
        reports = [entry.get("body") for entry in payload[:REPORTS_PER_REQUEST] if isinstance(entry, dict)]
    else:
        reports = []
    for one in reports:
        if isinstance(one, dict):
            logger.warning("Content-Security-Policy violation: %s", json.dumps(_fields(one), ensure_ascii=True, sort_keys=True))
    return HttpResponse(status=204)
