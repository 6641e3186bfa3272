"""Every frozen figure equals the count or sum of its rows as they stood at the close, before and
after a correction and later changes; the frozen figure's list shows those rows; the API walks the
cycle."""
import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.forms.models import model_to_dict
from django.urls import reverse

from finance.models import Homestead, Loan
from grids.models import Grid
from tests.factories import FACTORIES, make
from wenshang.closing import checklist, history, services
from wenshang.closing.models import Close, Correction, FrozenValue
from wenshang.closing.views import _raw, apply, config_for
from wenshang.web import figures

pytestmark = pytest.mark.django_db
Q1_END = dt.date(2024, 3, 31)


def close_q1(admin_user, *townships):
    county = townships[0].county
    for t in county.townships.order_by("code"):  # every township of the county (the factories may add some)
        reasons = {i.key: "暂无" for i in checklist.items(t, 2024, 1) if i.open}
        services.submit(user=admin_user, township=t, year=2024, quarter=1, reasons=reasons)
        services.approve(user=admin_user, submission=services.submission(t, 2024, 1))
    return Close.objects.get()


def frozen_equals_rows(snapshot, county_id):
    """Each metric's frozen value, the county's and each township's, = its rows' count or sum as they
    stood at the close, with the approved corrections up to ``snapshot`` (a revision) applied."""
    close = snapshot.close
    first = close.snapshots.order_by("revision").first()
    keep = history.correction_sources(close, snapshot.made_at)
    values = {v.key: v for v in FrozenValue.objects.filter(snapshot=snapshot)}
    townships = list(close.county.townships.values_list("pk", flat=True))
    checked = 0
    for key, m in figures.metrics().items():
        if m.kind in figures.SPECIAL:
            continue
        as_of = Q1_END if (m.date or m.as_of) else None
        with history.as_it_stood(m.get_model(), first.made_at, keep=keep):
            raw = m.raw_value(as_of=as_of, county=county_id)
            by_township = {t: m.raw_value(township=t, as_of=as_of) for t in townships} if m.township_path and not m.county_only else {}
        assert values[key].value == (Decimal(str(raw)) if raw is not None else None), (key, values[key].value, raw)
        for t, expected in by_township.items():
            got = values[key].townships.get(str(t))
            assert Decimal(str(got or 0)) == Decimal(str(expected or 0)), (key, t, got, expected)
        checked += 1
    return checked


def test_every_frozen_figure_equals_its_rows_as_they_stood(admin_user, township_a, township_b, village_a, village_b):
    for i, model in enumerate(FACTORIES):
        make(model, township_a, i)
        make(model, township_b, 100 + i)
    loan = make(Loan, township_a, 500, granted_on=dt.date(2024, 2, 1))
    parcel = make(Homestead, township_a, 501, surveyed_on=dt.date(2024, 2, 1))
    close = close_q1(admin_user, township_a, township_b)
    first = close.snapshots.get()
    assert frozen_equals_rows(first, close.county_id) > 50
    # After the close: a grid is added (of no date) and a loan of the next quarter, then a correction
    # changes a loan and another deletes a parcel: each revision counts the close's rows with the
    # corrections approved by then, and nothing else.
    make(Grid, township_a, 900)
    make(Loan, township_a, 901, granted_on=dt.date(2024, 5, 1))
    for record, action in ((loan, "update"), (parcel, "delete")):
        c = Correction.objects.create(year=2024, quarter=1, township=township_a, county=township_a.county,
                                      content_type_id=_ct(record), object_id=str(record.pk), action=action, reason="更正", data={})
        if action == "update":
            form_data = _form_data(record, amount="1.00")
            c.data = form_data
            c.save()
        services.decide_correction(user=admin_user, correction=c, approve=True, apply=lambda c=c: apply(c, admin_user))
    assert Loan.objects.get(pk=loan.pk).amount == Decimal("1.00") and not Homestead.objects.filter(pk=parcel.pk).exists()
    snapshots = list(close.snapshots.order_by("revision"))
    assert [s.revision for s in snapshots] == [1, 2, 3]
    for snapshot in snapshots:
        frozen_equals_rows(snapshot, close.county_id)
    amounts = [FrozenValue.objects.get(snapshot=s, key="loans_amount").value for s in snapshots]
    assert amounts[0] - amounts[1] == loan.amount - Decimal("1.00")
    grids = [FrozenValue.objects.get(snapshot=s, key="grids").value for s in snapshots]
    assert grids[0] == grids[1] == grids[2] == Grid.objects.count() - 1  # the grid added since revises nothing


def _ct(record):
    return ContentType.objects.get_for_model(record).pk


def _form_data(record, **changes):
    """The record's form fields as a form posts them (the real values, not masked), with ``changes``."""
    form = config_for(type(record)).get_form_class()(instance=record, user=None)
    values = model_to_dict(record, fields=list(form.fields))
    data = {name: _raw(values.get(name)) for name in form.fields}
    data.update({k: [v] for k, v in changes.items()})
    return data


def test_the_frozen_list_shows_the_rows_of_the_close(client, admin_user, township_a, township_b, village_a):
    loans = [make(Loan, township_a, n, granted_on=dt.date(2024, 2, 1)) for n in range(3)]
    close = close_q1(admin_user, township_a, township_b)
    snapshot = close.snapshots.get()
    frozen = FrozenValue.objects.get(snapshot=snapshot, key="loans_granted").value
    c = Correction.objects.create(year=2024, quarter=1, township=township_a, county=township_a.county,
                                  content_type_id=_ct(loans[0]), object_id=str(loans[0].pk), action="delete", reason="重复录入")
    services.decide_correction(user=admin_user, correction=c, approve=True, apply=lambda: apply(c, admin_user))
    client.force_login(admin_user)
    url = reverse("finance:loan_list") + f"?figure=loans_granted&frozen={snapshot.pk}"
    page = client.get(url)
    assert page.status_code == 200 and page.context["total"].value == frozen == 3
    assert "frozen-notice" in page.content.decode()
    assert Loan.objects.count() == 2  # the page's view of the close was rolled back
    periods = client.get(reverse("dashboard:periods") + "?period=2024Q1").content.decode()
    assert "已锁定" in periods and "修订" in periods


def test_the_cycle_through_the_api(api_client, make_token, admin_user, township_a, township_b, village_a):
    loan = make(Loan, township_a, 0, granted_on=dt.date(2024, 2, 1))
    clerk = api_client(make_token("寅寺镇系统", township=township_a, read_only=False))
    base = f"/api/v1/closing/quarters/{township_a.code}/2024Q1/"
    state = clerk.get(base).json()
    assert state["state"] == "open" and state["checklist"]
    response = clerk.post(base + "submit/", {"note": "按时报送"}, format="json")
    assert response.status_code == 400 and any(k.startswith("reason_") for k in response.json()["errors"])
    reasons = {i["key"]: "暂无" for i in state["checklist"] if i["open"]}
    assert clerk.post(base + "submit/", {"reasons": reasons}, format="json").json()["state"] == "submitted"
    assert clerk.post(base + "approve/", {}, format="json").status_code == 403  # a township does not review
    admin = api_client()
    admin.force_authenticate(admin_user)
    assert any(t["kind"] == "review" for t in admin.get("/api/v1/todos/").json())
    assert admin.post(base + "approve/", {}, format="json").json()["state"] == "approved"
    listed = admin.get("/api/v1/closing/quarters/?period=2024Q1").json()
    assert {r["township"]["code"]: r["state"] for r in listed}[township_a.code] == "approved"
    assert clerk.patch(f"/api/v1/finance/loans/{loan.pk}/", {"bank": "别的银行"}, format="json").status_code == 400
    response = clerk.post("/api/v1/closing/corrections/", {"record_type": "finance.loan", "object_id": loan.pk,
                                                            "action": "update", "data": _form_data(loan, bank="别的银行"),
                                                            "reason": "银行名称有误"}, format="json")
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    decided = admin.post(f"/api/v1/closing/corrections/{pk}/approve/", {"note": "同意"}, format="json")
    assert decided.status_code == 200 and decided.json()["state"] == "approved", decided.content.decode()
    assert Loan.objects.get(pk=loan.pk).bank == "别的银行"
    assert any(t["kind"] == "answered" for t in clerk.get("/api/v1/todos/").json())
