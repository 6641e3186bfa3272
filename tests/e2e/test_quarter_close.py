"""The quarter close, walked as the county uses it: a clerk submits 2024 Q2 with an item open and a
reason; the county returns it; the clerk fixes and resubmits; the county approves every township;
an edit of a record of Q2 is refused on the page, by the API, by an import and in the admin; a
correction request is approved and the dashboard shows the revised figure with its earlier value;
the official report of the first close is unchanged and the revision's report is version 2."""
import datetime as dt
import hashlib
import json
import re
from decimal import Decimal

import pytest

from finance.models import Loan
from tests.e2e.test_clerk import log_in
from tests.e2e.test_integrator import call
from tests.factories import make
from tests.imports.conftest import parcel_row, table, write_csv
from tests.reports.fixtures import reports_dir  # noqa: F401 - the reports' files in a temporary folder
from wenshang import imports
from wenshang.api.tokens import create_token
from wenshang.closing import checklist, services
from wenshang.closing.models import Correction, Submission
from wenshang.reports import services as reports
from wenshang.reports.models import Report

pytestmark = pytest.mark.django_db(transaction=True)
IN_Q2 = dt.date(2024, 5, 10)


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_quarter_cycle(live_server, browser, shots, make_user, township_a, township_b, village_a, reports_dir,  # noqa: F811
                           monkeypatch, tmp_path):
    monkeypatch.setattr(reports, "_send_after_commit", lambda report: None)  # no worker here: made below, in order
    base = live_server.url
    clerk = make_user("t370830104", role="township", township=township_a, first_name="寅寺镇工作人员")
    make_user("county_admin", role="admin", county=township_a.county, is_staff=True, first_name="县级管理员")
    loan = make(Loan, township_a, 0, granted_on=IN_Q2)
    open_items = [i for i in checklist.items(township_a, 2024, 2) if i.open]
    assert open_items

    clerk_page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    county_page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    log_in(clerk_page, base, "t370830104")
    clerk_page.wait_for_url(f"{base}/")
    clerk_page.goto(f"{base}/closing/")
    clerk_page.wait_for_url(re.compile(r"/closing/\d+/2024/2/$"))
    clerk_page.click("button[value=submit]")  # without reasons: asked for next to each open item
    clerk_page.wait_for_selector(".invalid-feedback")
    for item in open_items:
        clerk_page.fill(f"#id_reason_{item.key}", "本季度尚在推进，下季度补齐")
    clerk_page.fill("#id_note", "按时报送")
    clerk_page.click("button[value=submit]")
    clerk_page.wait_for_selector("text=已报送县里")
    assert services.submission(township_a, 2024, 2).state == Submission.State.SUBMITTED

    log_in(county_page, base, "county_admin")
    county_page.wait_for_url(f"{base}/")
    county_page.goto(f"{base}/closing/?period=2024Q2")
    assert "已报送" in county_page.content()
    county_page.screenshot(path=shots / "closing-board.png", full_page=True)
    county_page.click(f"a[href='/closing/{township_a.pk}/2024/2/']")
    county_page.click("button[value=return]")  # a return needs a comment
    county_page.wait_for_selector(".invalid-feedback")
    county_page.fill("#id_comment", "请补充走访记录")
    county_page.click("button[value=return]")
    county_page.wait_for_selector("text=已退回")

    clerk_page.goto(f"{base}/closing/todos/")
    assert "请补充走访记录" in clerk_page.content()
    clerk_page.goto(f"{base}/closing/{township_a.pk}/2024/2/")
    for item in open_items:
        clerk_page.fill(f"#id_reason_{item.key}", "已核实，走访记录下季度补录")
    clerk_page.click("button[value=submit]")
    clerk_page.wait_for_selector("text=已报送县里")

    county_page.goto(f"{base}/closing/{township_a.pk}/2024/2/")
    county_page.click("button[value=approve]")
    county_page.wait_for_selector("#state:has-text('已审核')")
    services.submit(user=clerk.__class__.objects.get(username="county_admin"), township=township_b, year=2024, quarter=2,
                    reasons={i.key: "无" for i in checklist.items(township_b, 2024, 2) if i.open})
    county_page.goto(f"{base}/closing/{township_b.pk}/2024/2/")
    county_page.click("button[value=approve]")
    county_page.wait_for_selector("#state:has-text('已审核')")
    county_page.goto(f"{base}/closing/?period=2024Q2")
    assert "关账" in county_page.content()
    first = Report.objects.get(revision=1)
    assert reports.run(first.pk) == Report.Status.DONE
    first.refresh_from_db()
    pdf_path = tmp_path / "media" / first.pdf.name
    before = digest(pdf_path)

    # The page refuses an edit of the loan of Q2, names the quarter and offers a correction request.
    clerk_page.goto(f"{base}/finance/loans/{loan.pk}/edit/")
    clerk_page.fill("#id_amount", "12345")
    clerk_page.click("main form button.btn-primary")
    clerk_page.wait_for_selector("#correction")
    assert "2024年第2季度" in clerk_page.content()
    assert Loan.objects.get(pk=loan.pk).amount == loan.amount
    # The API, an import and the admin refuse too.
    token = create_token(name="寅寺镇系统", township=township_a, read_only=False)[1]
    status, body = call(base, f"/api/v1/finance/loans/{loan.pk}/", token, {"bank": "别的银行"}, method="PATCH")
    assert status == 400 and "2024" in json.dumps(body, ensure_ascii=False)
    row = parcel_row(village_a.code, 1, 调查日期="2024-05-05")
    write_csv(tmp_path / "parcels.csv", table(list(row), [row]))
    assert not imports.import_file("homesteads", tmp_path / "parcels.csv", clerk).ok
    county_page.goto(f"{base}/admin/finance/loan/{loan.pk}/change/")
    county_page.fill("#id_amount", "777")
    county_page.click("input[name=_save]")
    county_page.wait_for_selector(".messagelist")
    assert "2024年第2季度" in county_page.content() and Loan.objects.get(pk=loan.pk).amount == loan.amount
    county_page.goto(f"{base}/admin/finance/loan/{loan.pk}/delete/")
    county_page.click("input[type=submit]")
    county_page.wait_for_selector(".messagelist")
    assert "2024" in county_page.content() and Loan.objects.filter(pk=loan.pk).exists()

    # The correction request, approved by the county.
    clerk_page.fill("#id_correction_reason", "金额录入有误，以合同为准")
    clerk_page.click("button[name=request_correction]")
    clerk_page.wait_for_url(re.compile(r"/closing/corrections/\d+/$"))
    correction = Correction.objects.get()
    county_page.goto(f"{base}/closing/corrections/{correction.pk}/")
    county_page.click("button[value=approve]")
    county_page.wait_for_selector("text=已同意并完成更正")
    assert Loan.objects.get(pk=loan.pk).amount == Decimal("12345")
    county_page.goto(f"{base}/dashboard/periods/?period=2024Q2")
    content = county_page.content()
    assert "已锁定" in content and "修订" in content
    county_page.screenshot(path=shots / "closing-revised.png", full_page=True)

    second = Report.objects.get(revision=2)
    assert second.version == 2
    assert reports.run(second.pk) == Report.Status.DONE
    assert digest(pdf_path) == before  # the first close's official report is unchanged
