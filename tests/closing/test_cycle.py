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

from finance.models import Homestead, Loan
from tests.factories import make
from tests.imports.conftest import parcel_row, table, write_csv
from wenshang import imports
from wenshang.closing import checklist, services, todos
from wenshang.closing.models import Close, Correction, FrozenValue, Submission, SubmissionEvent
from wenshang.kernel.locks import PeriodLocked
from wenshang.kernel.models import ObjectChange
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


def test_a_correction_request_is_applied_and_makes_a_revision(client, staff_a, admin_user, township_a, township_b, village_a):
    loan = make(Loan, township_a, **IN_Q1)
    approve(admin_user, township_a, township_b)
    close = Close.objects.get()
    first = FrozenValue.objects.get(snapshot__close=close, snapshot__revision=1, key="loans_amount")
    assert first.value == loan.amount
    client.force_login(staff_a)
    url = reverse("finance:loan_edit", args=[loan.pk])
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(amount="12345.00", borrower_id_number=loan.borrower_id_number, borrower_phone=loan.borrower_phone,
                correction_reason="金额录入错误", request_correction="1")
    response = client.post(url, data)
    correction = Correction.objects.get()
    assert response.status_code == 302 and correction.state == Correction.State.PENDING
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
