"""The Content-Security-Policy (issue 11, item 1): on every response, the report endpoint, and no
template that would need the policy loosened (an inline script or an ``on…=`` attribute).
The browser's side (nothing planted in a name runs) is tests/e2e/test_xss.py."""
import json
import logging
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template.utils import get_app_template_dirs
from django.test import Client

from wenshang.kernel import csp

pytestmark = pytest.mark.django_db

REQUIRED = ["default-src 'self'", "script-src 'self'", "object-src 'none'", "base-uri 'self'", "frame-ancestors 'none'",
            "form-action 'self'", "connect-src 'self'", "img-src 'self' data: blob:", "report-uri /csp-report/"]


def policy(response):
    return [part.strip() for part in response.headers["Content-Security-Policy"].split(";")]


def test_the_policy_is_strict():
    parts = csp.POLICY.split("; ")
    for directive in REQUIRED:
        assert directive in parts, directive
    script = next(p for p in parts if p.startswith("script-src"))
    assert "unsafe-inline" not in script and "unsafe-eval" not in script and "*" not in script


def test_every_response_has_the_policy(client, admin_user, village_a):
    anonymous = ["/accounts/login/", "/api/docs/", "/api/docs/?script=", "/static/js/portal.js", "/no-such-page/", "/api/v1/"]
    for path in anonymous:
        response = client.get(path)
        assert policy(response) == csp.POLICY.split("; "), path
    client.force_login(admin_user)
    for path in ["/", "/dashboard/map/", "/dashboard/map/data/", f"/villages/villages/{village_a.pk}/profile/", "/reports/coverage/",
                 "/search/?q=dsl", "/admin/", "/admin/villages/village/", f"/admin/villages/village/{village_a.pk}/change/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert policy(response) == csp.POLICY.split("; "), path


def test_swagger_ui_starts_from_a_script_file(client):
    page = client.get("/api/docs/").content.decode()
    assert re.search(r'<script src="/api/docs/\?script=[^"]*"></script>', page)
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in script.content.decode()


def template_files():
    """Every template of the project's directories and its apps' (not the installed libraries')."""
    base = Path(settings.BASE_DIR).resolve()
    folders = [Path(d) for t in settings.TEMPLATES for d in t.get("DIRS", [])] + list(get_app_template_dirs("templates"))
    files = []
    for folder in folders:
        folder = Path(folder).resolve()
        if folder.is_relative_to(base) and ".venv" not in folder.parts:
            files += [f for f in folder.rglob("*") if f.suffix in (".html", ".txt", ".xml", ".svg") and f.is_file()]
    return files


SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.I)
# an on… attribute inside a tag: whitespace, on + letters, then =
HANDLER = re.compile(r"<[a-z][^>]*?\son[a-z]+\s*=", re.I | re.S)


def test_no_template_has_an_inline_script_or_handler():
    files = template_files()
    assert any(f.name == "base.html" for f in files) and len(files) > 30
    found = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        for match in SCRIPT_TAG.finditer(text):
            attrs = match.group(1)
            if not re.search(r"\ssrc\s*=", attrs) and not re.search(r"""type\s*=\s*["']application/json["']""", attrs):
                found.append(f"{path}: {match.group(0)}")
        for match in HANDLER.finditer(text):
            found.append(f"{path}: {match.group(0)[-60:]}")
        if re.search(r"""(href|src|action)\s*=\s*["']\s*javascript:""", text, re.I):
            found.append(f"{path}: javascript: URL")
    assert found == []


def test_the_scan_finds_what_it_looks_for():
    assert SCRIPT_TAG.search('<script>alert(1)</script>')
    assert HANDLER.search('<button class="b"\n  onclick="go()">')
    assert HANDLER.search("<select name=x onchange='this.form.submit()'>")
    assert not HANDLER.search('<button data-confirm="确定吗？" data-autosubmit>')
    assert not HANDLER.search("<p>Click on=this</p>")


REPORT = {"csp-report": {
    "document-uri": "http://testserver/dashboard/map/", "violated-directive": "script-src-elem",
    "effective-directive": "script-src-elem", "blocked-uri": "inline", "line-number": 3,
    "source-file": "http://testserver/dashboard/map/\nFAKE 2024-06-30 ERROR forged log line", "original-policy": "x" * 5000,
}}


def test_a_violation_report_is_logged_and_answered_204(caplog):
    browser = Client(enforce_csrf_checks=True)  # a browser's report carries no CSRF token
    with caplog.at_level(logging.WARNING, logger="wenshang.kernel.csp"):
        response = browser.post("/csp-report/", json.dumps(REPORT), content_type="application/csp-report")
    assert response.status_code == 204
    [record] = [r for r in caplog.records if r.name == "wenshang.kernel.csp"]
    message = record.getMessage()
    assert "script-src-elem" in message and "/dashboard/map/" in message
    assert "\n" not in message and "original-policy" not in message  # known fields only, on one line
    assert len(message) < 1500


def test_the_reporting_api_format_is_read_too(caplog):
    body = [{"type": "csp-violation", "body": {"documentURL": "http://testserver/", "effectiveDirective": "script-src-elem",
                                               "blockedURL": "inline", "disposition": "enforce"}}]
    with caplog.at_level(logging.WARNING, logger="wenshang.kernel.csp"):
        response = Client().post("/csp-report/", json.dumps(body), content_type="application/reports+json")
    assert response.status_code == 204
    assert "script-src-elem" in caplog.records[-1].getMessage()


def test_the_report_endpoint_refuses_large_bodies_and_other_methods(caplog):
    with caplog.at_level(logging.WARNING, logger="wenshang.kernel.csp"):
        big = Client().post("/csp-report/", json.dumps({"csp-report": {"blocked-uri": "x" * (csp.REPORT_MAX_BYTES + 10)}}),
                            content_type="application/csp-report")
        broken = Client().post("/csp-report/", b"not json", content_type="application/csp-report")
        assert big.status_code == 413 and broken.status_code == 400
        assert Client().get("/csp-report/").status_code == 405
    assert [r for r in caplog.records if r.name == "wenshang.kernel.csp"] == []
