"""The county official's path (issue 6, "done when"): open the coverage board from the 大调研 menu,
see which villages are not yet visited, request the county report, watch it progress as a real
worker makes it, download the PDF and the XLSX, and find last quarter's report unchanged."""
import hashlib
import re

import pytest
from openpyxl import load_workbook

from tests.reports.fixtures import survey  # noqa: F401 - the surveyed county
from tests.wenshang.test_worker import worker  # noqa: F401 - the worker process fixture
from wenshang.reports import data, services
from wenshang.reports.models import Report

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def test_official_requests_and_downloads_the_county_report(live_server, page, shots, worker, official, survey, tmp_path):  # noqa: F811
    base = live_server.url
    last_quarter, _ = services.request_report(subject=data.subject_from_key("county"), year=2024, quarter=1, send=False)
    services.run(last_quarter.pk)
    last_quarter.refresh_from_db()
    before = hashlib.sha256(open(last_quarter.pdf.path, "rb").read()).hexdigest()

    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", official.username)
    page.fill("#id_password", "test-password-123")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/")

    page.get_by_role("button", name="大调研").or_(page.get_by_role("link", name="大调研")).first.click()
    page.locator("a.dropdown-item[href='/reports/coverage/']").click()
    page.wait_for_url(f"{base}/reports/coverage/")
    not_visited = page.locator("#coverage-not-visited").inner_text()
    assert "西石楼村" in not_visited and "北石楼村" in not_visited and "东石楼村" not in not_visited
    page.screenshot(path=shots / "reports-coverage.png", full_page=True)

    page.locator("main a[href='/reports/']").first.click()
    page.select_option("#id_period", "2024-2")
    page.select_option("#id_subject", page.locator("#id_subject option[value^='county:']").first.get_attribute("value"))
    page.click("#report-request button[type=submit]")
    page.wait_for_url(re.compile(r".*/reports/\d+/$"))
    page.screenshot(path=shots / "reports-progress.png")
    page.wait_for_selector("#report-downloads", timeout=120_000)  # the page polls and shows the files when done
    page.screenshot(path=shots / "reports-done.png", full_page=True)
    report = Report.objects.get(year=2024, quarter=2)
    assert report.status == "done" and report.requested_by == official

    with page.expect_download() as pdf_download:
        page.locator("#report-downloads a[href$='/pdf/']").click()
    pdf_path = tmp_path / "report.pdf"
    pdf_download.value.save_as(pdf_path)
    raw = pdf_path.read_bytes()
    assert raw.startswith(b"%PDF") and b"NotoSansSC" in raw and pdf_download.value.suggested_filename.endswith(".pdf")
    with page.expect_download() as xlsx_download:
        page.locator("#report-downloads a[href$='/xlsx/']").click()
    xlsx_path = tmp_path / "report.xlsx"
    xlsx_download.value.save_as(xlsx_path)
    assert "一村一页" in load_workbook(xlsx_path).sheetnames

    page.goto(f"{base}/reports/{last_quarter.pk}/")
    with page.expect_download() as old_download:
        page.locator("#report-downloads a[href$='/pdf/']").click()
    old_path = tmp_path / "old.pdf"
    old_download.value.save_as(old_path)
    assert hashlib.sha256(old_path.read_bytes()).hexdigest() == before  # last quarter's report, unchanged
    assert page.console_errors == []
