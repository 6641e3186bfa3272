"""The quarter close: a township submits (reasons for open items), the county returns or approves,
an approved quarter's records refuse every write path, a correction request makes the change, the
county's figures freeze at the close and a correction after it makes a new revision."""
import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from openpyxl import load_workbook

from finance.models import Homestead, Loan
from tests.factories import make
from tests.imports.conftest import parcel_row, table, write_csv
from tests.reports.test_pdf_layout import bookmarks, contents, read
from wenshang import imports
from wenshang.closing import checklist, services, todos
from wenshang.closing.models import Close, Correction, FrozenValue, Submission, SubmissionEvent
from wenshang.kernel.locks import PeriodLocked
from wenshang.kernel.models import ObjectChange
from wenshang.reports import data as report_data
from wenshang.reports import pdf, xlsx
from wenshang.web import figures

pytestmark = pytest.mark.django_db
Q1 = (2024, 1)
IN_Q1 = {"granted_on": dt.date(2024, 3, 1)}


def page(township, year=2024, quarter=1):
    return reverse("closing:submission", args=[township.pk, year, quarter])


def reasons_for(township):
    return {f"reason_{i.key}": "本季度暂无" for i in checklist.items(township, *Q1) if i.open}


def approve(admin_user, *townships):
    for t in townships:
        sub = services.submission(t, *Q1)
        if sub.state != Submission.State.SUBMITTED:
            services.submit(user=admin_user, township=t, year=2024, quarter=1,
                            reasons={k[7:]: v for k, v in reasons_for(t).items()})
        services.approve(user=admin_user, submission=services.submission(t, *Q1))


def test_submit_return_resubmit_approve(client, staff_a, admin_user, township_a, township_b, village_a):
    make(Loan, township_a)
    client.force_login(staff_a)
    response = client.post(page(township_a), {"action": "submit", "note": "按时报送"})
    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode()  # a reason is asked next to each open item
    assert services.submission(township_a, *Q1).state == Submission.State.OPEN
    response = client.post(page(township_a), {"action": "submit", "note": "按时报送", **reasons_for(township_a)})
    assert response.status_code == 302
    sub = services.submission(township_a, *Q1)
    assert sub.state == Submission.State.SUBMITTED and sub.reasons and sub.checklist
    client.force_login(admin_user)
    response = client.post(page(township_a), {"action": "return", "comment": ""})
    assert "invalid-feedback" in response.content.decode()
    client.post(page(township_a), {"action": "return", "comment": "请补充走访记录"})
    assert services.submission(township_a, *Q1).state == Submission.State.RETURNED
    client.force_login(staff_a)
    assert "请补充走访记录" in client.get(reverse("closing:todos")).content.decode()
    client.post(page(township_a), {"action": "submit", **reasons_for(township_a)})
    client.force_login(admin_user)
    assert client.get(reverse("closing:todos")).content.decode().count(township_a.name) >= 1
    client.post(page(township_a), {"action": "approve", "comment": ""})
    assert services.submission(township_a, *Q1).state == Submission.State.APPROVED
    assert [e.action for e in SubmissionEvent.objects.filter(submission__township=township_a)] == [
        "submit", "return", "submit", "approve"]
    assert not Close.objects.exists()  # township B has not been approved yet
    approve(admin_user, township_b)
    close = Close.objects.get()
    assert close.snapshots.get().revision == 1
    board = client.get(reverse("closing:board") + "?period=2024Q1").content.decode()
    assert township_b.name in board and "2024" in board


def test_a_township_cannot_submit_another_or_review(client, staff_a, township_b):
    client.force_login(staff_a)
    assert client.get(page(township_b)).status_code == 404
    with pytest.raises(PermissionDenied):
        services.approve(user=staff_a, submission=services.submission(township_b, *Q1))


def test_an_approved_quarter_refuses_every_write_path(client, staff_a, admin_user, township_a, township_b, village_a,
                                                      api_client, token_a, tmp_path):
    loan = make(Loan, township_a, **IN_Q1)
    other = make(Loan, township_b, 1, **IN_Q1)
    approve(admin_user, township_a)
    # the form: the error names the quarter, nothing changes
    client.force_login(staff_a)
    url = reverse("finance:loan_edit", args=[loan.pk])
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(amount="99999.00", borrower_id_number=loan.borrower_id_number, borrower_phone=loan.borrower_phone)
    response = client.post(url, data)
    assert response.status_code == 200 and "2024" in response.content.decode() and "correction_reason" in response.content.decode()
    loan.refresh_from_db()
    assert loan.amount != Decimal("99999.00")
    # the API (single and delete)
    api = api_client(token_a)
    response = api.patch(f"/api/v1/finance/loans/{loan.pk}/", {"bank": "别的银行"}, format="json")
    assert response.status_code == 400 and "2024" in str(response.json())
    assert api.delete(f"/api/v1/finance/loans/{loan.pk}/").status_code == 400
    assert Loan.objects.filter(pk=loan.pk, bank=loan.bank).exists()
    # services and queryset updates
    bank = loan.bank
    loan.bank = "别的银行"
    with pytest.raises(PeriodLocked), transaction.atomic():
        loan.save()
    with pytest.raises(PeriodLocked), transaction.atomic():
        Loan.objects.filter(pk=loan.pk).update(bank="别的银行")
    # the admin
    client.force_login(admin_user)
    response = client.post(reverse("admin:finance_loan_delete", args=[loan.pk]), {"post": "yes"}, follow=True)
    assert "2024" in response.content.decode() and Loan.objects.filter(pk=loan.pk).exists()
    # another township's quarter, and a later quarter, are open
    other.bank = "别的银行"
    other.save()
    Loan.objects.filter(pk=loan.pk).update(bank=bank)  # unchanged: nothing written, nothing refused
    later = make(Loan, township_a, 2, granted_on=dt.date(2024, 5, 1))
    later.bank = "别的银行"
    later.save()


def test_an_import_row_of_a_locked_quarter_is_a_problem(admin_user, staff_a, township_a, township_b, village_a, tmp_path):
    approve(admin_user, township_a)
    row = parcel_row(village_a.code, 1)  # surveyed 2024-03-05
    path = tmp_path / "parcels.csv"
    write_csv(path, table(list(row), [row]))
    result = imports.import_file("homesteads", path, staff_a)
    assert not result.ok and "2024" in str(result.problems)
    assert not Homestead.objects.exists()


def request_amount(client, staff, loan, amount, reason):
    """A clerk's correction request of a locked loan's amount, made on the loan's form."""
    client.force_login(staff)
    url = reverse("finance:loan_edit", args=[loan.pk])
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(amount=amount, borrower_id_number=loan.borrower_id_number, borrower_phone=loan.borrower_phone,
                correction_reason=reason, request_correction="1")
    assert client.post(url, data).status_code == 302
    return Correction.objects.latest("pk")


def test_a_correction_request_is_applied_and_makes_a_revision(client, staff_a, admin_user, township_a, township_b, village_a):
    loan = make(Loan, township_a, **IN_Q1)
    approve(admin_user, township_a, township_b)
    close = Close.objects.get()
    first = FrozenValue.objects.get(snapshot__close=close, snapshot__revision=1, key="loans_amount")
    assert first.value == loan.amount
    correction = request_amount(client, staff_a, loan, "12345.00", "金额录入错误")
    assert correction.state == Correction.State.PENDING
    assert correction.changes["amount"][1] == "12345.00" and correction.period == 20241
    client.force_login(admin_user)
    assert str(correction.pk) in client.get(reverse("closing:todos")).content.decode()
    client.post(reverse("closing:correction", args=[correction.pk]), {"action": "approve", "note": "同意"})
    correction.refresh_from_db()
    loan.refresh_from_db()
    assert correction.state == Correction.State.APPROVED and loan.amount == Decimal("12345.00")
    assert ObjectChange.objects.filter(object_id=str(loan.pk), source=f"correction:{correction.pk}").exists()
    second = FrozenValue.objects.get(snapshot__close=close, snapshot__revision=2, key="loans_amount")
    assert second.value == Decimal("12345.00") and second.snapshot.reason == "金额录入错误"
    first.refresh_from_db()
    assert first.value != second.value  # the first revision stays as it was


def test_every_frozen_figure_equals_its_rows_as_of_the_quarter_end(admin_user, township_a, township_b, village_a):
    for n, model in enumerate([Loan, Homestead]):
        make(model, township_a, n)
    approve(admin_user, township_a, township_b)
    close = Close.objects.get()
    frozen = {v.key: v for v in FrozenValue.objects.filter(snapshot__close=close)}
    assert set(frozen) == {k for k, m in figures.metrics().items() if m.kind not in figures.SPECIAL}
    for key, value in frozen.items():
        m = figures.metric(key)
        expected = m.raw_value(as_of=close.end_date if (m.date or m.as_of) else None, county=close.county_id)
        assert (value.value if value.value is not None else None) == (Decimal(str(expected)) if expected is not None else None), key
        if m.township_path and not m.county_only:
            for t in (township_a, township_b):
                got = Decimal(str(value.townships.get(str(t.pk), 0)))
                raw = m.raw_value(township=t.pk, as_of=close.end_date if (m.date or m.as_of) else None) or 0
                assert got == Decimal(str(raw)), (key, t)


def test_the_county_s_to_dos_take_a_fixed_number_of_queries(admin_user, township_a, village_a, django_assert_num_queries):
    loans = [make(Loan, township_a, n) for n in range(3)]
    for loan in loans:
        Correction.objects.create(year=2024, quarter=1, township=township_a, county=township_a.county, reason="更正",
                                  content_type=ContentType.objects.get_for_model(Loan), object_id=str(loan.pk), action="delete")
    todos.for_user(admin_user)  # the content types cached
    with django_assert_num_queries(2):  # submissions to review, requests to decide (with their record type)
        items = todos.for_user(admin_user)
    assert sum(1 for i in items if i["kind"] == "decide") == 3


def test_the_official_report_is_made_from_the_snapshot_and_shows_revisions(client, staff_a, admin_user, township_a, township_b,
                                                                           village_a, tmp_path):
    """The official report's 六、季末锁定数据 lists the frozen figures of its revision (not today's
    records), each revised one marked 修订 with its value at the close, in the PDF and the workbook."""
    loan = make(Loan, township_a, **IN_Q1)
    approve(admin_user, township_a, township_b)
    close = Close.objects.get()
    subject = report_data.subject_from_key("county")
    at_close = report_data.collect(subject, 2024, 1, revision=1)["official"]
    frozen = {v.key: v.value for v in FrozenValue.objects.filter(snapshot__close=close, snapshot__revision=1)}
    catalogue = [k for k in figures.catalogue() if k in frozen]
    assert [r["key"] for r in at_close["rows"]] == catalogue and not at_close["revised"]
    assert all(Decimal(str(r["value"])) == frozen[r["key"]] for r in at_close["rows"])
    make(Loan, township_b, granted_on=dt.date(2024, 7, 1))  # a later record (next quarter) changes no frozen figure
    correction = request_amount(client, staff_a, loan, "12345.00", "金额录入错误")
    client.force_login(admin_user)
    client.post(reverse("closing:correction", args=[correction.pk]), {"action": "approve", "note": "同意"})
    second = {v.key: v.value for v in FrozenValue.objects.filter(snapshot__close=close, snapshot__revision=2)}
    changed = {k for k in catalogue if second[k] != frozen[k]}
    assert changed  # the loan's amount is in a catalogue figure
    report = report_data.collect(subject, 2024, 1, revision=2)
    official = report["official"]
    assert {r["key"] for r in official["rows"] if r["revised"]} == changed and official["revised"] == len(changed)
    assert official["reason"] == "金额录入错误" and official["revision"] == 2
    assert report_data.collect(subject, 2024, 1)["official"] is None  # a report that is not the official version
    reader, pages = read(report, tmp_path / "official.pdf")
    marks = bookmarks(reader)
    assert len(marks) == len(pdf.outline_levels(report))  # the contents counts the new section
    page = next(page for title, _, page in marks if title == "六、季末锁定数据")
    assert "六、季末锁定数据" in pages[page - 1] and ("六、季末锁定数据", page) in contents(pages)[0]
    text = "".join("".join(p) for p in pages)  # a paragraph's lines joined again
    assert "正式版（关账数据第1次修订）" in text and "六、季末锁定数据" in text and "金额录入错误" in text
    for row in (r for r in official["rows"] if r["revised"]):
        assert f"修订（原 {row['first_shown']}）" in text
    xlsx.build(report, tmp_path / "official.xlsx")
    sheet = load_workbook(tmp_path / "official.xlsx")["锁定数据"]
    marked = {r[1] for r in sheet.iter_rows(min_row=3, values_only=True) if r[4] == "修订"}
    assert marked == {figures.catalogue()[k].label_zh for k in changed}


def test_the_dashboard_marks_closed_quarters_at_once(client, staff_a, admin_user, township_a, township_b, village_a,
                                                     django_capture_on_commit_callbacks):
    """The dashboard's table by period marks a closed quarter 已锁定 (· 修订 once a correction revised it),
    linked to every figure by period (the frozen values), as soon as it closes: the cached page is stale."""
    loan = make(Loan, township_a, **IN_Q1)
    client.force_login(admin_user)

    def marks(url="/"):
        response = client.get(url)
        table = response.content.decode().split('id="period-table"')[1].split("</thead>")[0]
        return response.context["previous_label"], response.context["previous_locked"], table

    label, locked, table = marks()
    assert "2024" in str(label) and locked is None and "已锁定" not in table  # 2024 Q2 against 2024 Q1, open
    with django_capture_on_commit_callbacks(execute=True):
        approve(admin_user, township_a, township_b)
    _, locked, table = marks()
    assert locked == 1 and "已锁定" in table and "修订" not in table
    assert marks(reverse("dashboard:township", args=[township_a.pk]))[1] == 1
    correction = request_amount(client, staff_a, loan, "12345.00", "金额录入错误")
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("closing:correction", args=[correction.pk]), {"action": "approve", "note": "同意"})
    _, locked, table = marks()
    assert locked == 2 and "已锁定 · 修订" in table
