"""The figures' aggregates (``wenshang.web.aggregates``) stay equal to the records after a burst of
random writes on every write path — portal forms, the API (create, update, delete), the bulk API,
imports, services, the admin, queryset updates and deletes, the bulk COPY writer — including
records that move (a parcel to another village, a grid, a person, a village to another township,
a township to another county) and records that count others (a pairing makes its village a paired
one, a training's kind who is trained). ``metrics verify`` then reports no difference, and every
figure read from the aggregates equals the one computed from the records.

Runs on the configured database: SQLite by default, PostgreSQL in CI (``DATABASE_URL``), where
``test_a_burst_of_committed_writes_on_postgresql`` also commits each write for real."""
import csv
import datetime as dt
import itertools
import random
import threading
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from alliances.models import Enterprise, Pairing
from finance.choices import HomesteadUse, LoanKind
from finance.models import Homestead, Loan
from finance.views import HomesteadViews
from grids import services as grid_services
from grids.models import CreditRecord, Grid, Household
from talent.choices import TrainingKind
from talent.models import FirstSecretaryBatch, Person, Training, TrainingAttendance
from tests.factory_helpers import valid_id
from tests.metrics.test_consistency import make as make_row
from tests.metrics.test_consistency import records
from tests.wenshang.test_admin import post_data as admin_post_data
from villages.models import CollectiveIncome, County, SurveyRound, Township, Village
from wenshang import tasks
from wenshang.imports.writing import import_file
from wenshang.kernel import audit, bulk, changes
from wenshang.kernel.periods import quarter_dates
from wenshang.web import aggregates, figures
from wenshang.web.models import MetricAggregate

KINDS = [k for k in LoanKind.values if k != LoanKind.HOMESTEAD_CREDIT]  # (a homestead credit needs its parcel)
QUARTER_ENDS = [quarter_dates(y, q)[1] for y in (2023, 2024) for q in (1, 2, 3, 4)]
_n = iter(range(10_000, 1_000_000))


def n():
    return next(_n)


def id_number():
    return valid_id(f"37083019{n() % 90 + 10:02d}0101{n() % 900 + 100:03d}")


@pytest.fixture
def world(county, township_a, township_b, village_a, village_b, admin_user, make_token):
    """Records of every metric in four villages of two townships (``test_consistency.records``), a
    second county to move a township to, a read-write county token and an import user."""
    other = Village.objects.create(township=township_a, code="370830104299", name="东村")
    third = Village.objects.create(township=township_b, code="370830102298", name="西村")
    batches = {y: make_row("talent.FirstSecretaryBatch", year=y) for y in (2021, 2024)}
    enterprise = make_row("alliances.Enterprise")
    for i, village in enumerate((village_a, other, village_b, third)):
        records(village, i, enterprise, batches)
    for year, quarter in ((2024, 1), (2024, 2)):
        survey_round = make_row("villages.SurveyRound", year=year, quarter=quarter, start_date=quarter_dates(year, quarter)[0],
                                end_date=quarter_dates(year, quarter)[1])
        for village in (village_a, third):
            make_row("villages.SurveyVisit", round=survey_round, village=village, visited_on=quarter_dates(year, quarter)[1])
    second = County.objects.create(code="370831", name="泗水县")
    token = make_token("全县系统", read_only=False)
    return {"villages": [village_a, other, village_b, third], "townships": [township_a, township_b], "second": second,
            "token": token, "user": admin_user, "enterprise": enterprise}


# -- the paths -------------------------------------------------------------------------------------
def pick(rng, qs):
    """A record of ``qs`` chosen by ``rng`` (the burst is the same every run), or None."""
    rows = list(qs.order_by("pk"))
    return rng.choice(rows) if rows else None


def picks(rng, qs, k):
    rows = list(qs.order_by("pk"))
    return rng.sample(rows, min(k, len(rows)))


def form_values(obj):
    """The portal's edit form of ``obj`` as a browser sends it back."""
    form = HomesteadViews.get_form_class()(instance=obj, user=None)
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        value = getattr(value, "pk", value)
        data[name] = value.isoformat() if hasattr(value, "isoformat") else value
    data.pop("form_token", None)
    return data


def parcel_code(village):
    return f"{village.code}JC{n() % 100000:05d}"


def parcel_changes(rng, w):
    village = rng.choice(w["villages"])
    return {"village": village.pk, "parcel_code": parcel_code(village), "use": rng.choice(HomesteadUse.values),
            "holder_id_number": id_number(),
            "area": f"{rng.randrange(50, 400)}.50", "surveyed_on": rng.choice(QUARTER_ENDS).isoformat()}


def op_form(rng, w, client):
    """A portal form: add, edit (the parcel may move to another village) or delete a parcel."""
    client.force_login(w["user"])
    parcel = pick(rng, Homestead.objects)
    action = rng.choice(["add", "edit", "delete"])
    if action == "add":
        data = {**form_values(parcel), **parcel_changes(rng, w)}
        response = client.post(reverse(HomesteadViews.url_name("add")), data)
    elif action == "edit":
        response = client.post(reverse(HomesteadViews.url_name("edit"), args=[parcel.pk]),
                               {**form_values(parcel), **parcel_changes(rng, w)})
    else:
        parcel = pick(rng, Homestead.objects.filter(loans__isnull=True))
        response = client.post(reverse(HomesteadViews.url_name("delete"), args=[parcel.pk]))
    assert response.status_code == 302, (action, getattr(response, "context", None) and response.context.get("form").errors)


def api(w):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {w['token'].key}")
    return client


def loan_json(rng, w):
    village = rng.choice(w["villages"])
    return {"kind": rng.choice(KINDS), "bank": "汶上农商银行", "borrower_name": "王五",
            "borrower_id_number": id_number(), "borrower_phone": "13912345678", "township": village.township_id,
            "village": village.pk, "amount": f"{rng.randrange(1, 90) * 1000}.00", "annual_rate": "4.10", "term_months": 36,
            "granted_on": rng.choice(QUARTER_ENDS).isoformat(), "due_on": "2027-03-01", "interest_subsidy": "0.00",
            "risk_compensation": "0.00"}


def op_api(rng, w, client):
    """The API: create a loan, move one to another village and amount, delete one."""
    action = rng.choice(["create", "update", "delete"])
    loan = pick(rng, Loan.objects)
    if action == "create":
        response = api(w).post("/api/v1/finance/loans/", loan_json(rng, w), format="json")
        assert response.status_code == 201, response.content
    elif action == "update":
        village = rng.choice(w["villages"])
        response = api(w).patch(f"/api/v1/finance/loans/{loan.pk}/", {
            "village": village.pk, "township": village.township_id, "amount": f"{rng.randrange(1, 90)}000.00",
            "borrower_id_number": id_number(), "kind": rng.choice(KINDS), "homestead": None, "project": None,
            "granted_on": rng.choice(QUARTER_ENDS).isoformat()}, format="json")
        assert response.status_code == 200, response.content
    else:
        assert api(w).delete(f"/api/v1/finance/loans/{loan.pk}/").status_code == 204


def op_bulk_api(rng, w, client):
    """The bulk API: several parcels in one request."""
    items = []
    for _ in range(rng.randrange(2, 6)):
        village = rng.choice(w["villages"])
        items.append({"village": village.pk, "parcel_code": parcel_code(village), "holder_name": "赵六",
                      "holder_id_number": id_number(), "area": f"{rng.randrange(50, 300)}.00",
                      "use": rng.choice(HomesteadUse.values), "surveyed_on": rng.choice(QUARTER_ENDS).isoformat()})
    response = api(w).post("/api/v1/finance/homesteads/bulk/", items, format="json")
    assert response.status_code == 201, response.content


def op_import(rng, w, client, tmp_path):
    """A spreadsheet import: new parcels, and parcels already there moved and changed."""
    with translation.override("zh-hans"):
        uses = {value: str(label) for value, label in HomesteadUse.choices}
    rows = []
    named = [p.pk for p in Homestead.objects.select_related("village") if p.parcel_code.startswith(p.village.code + "JC")]
    for parcel in picks(rng, Homestead.objects.filter(pk__in=named).select_related("village"), 2):  # its code names its village
        rows.append((parcel.village.code, parcel.parcel_code, parcel.holder_name, id_number(),
                     f"{rng.randrange(50, 300)}", uses[rng.choice(HomesteadUse.values)], rng.choice(QUARTER_ENDS).isoformat()))
    for _ in range(rng.randrange(1, 4)):
        village = rng.choice(w["villages"])
        rows.append((village.code, parcel_code(village), "钱七", id_number(), f"{rng.randrange(50, 300)}",
                     uses[rng.choice(HomesteadUse.values)], rng.choice(QUARTER_ENDS).isoformat()))
    path = tmp_path / f"parcels-{n()}.csv"
    headers = ["村代码", "宗地代码", "使用权人", "使用权人身份证号码", "面积（平方米）", "用途", "调查日期"]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([*headers, "不动产权证书号", "建成年份", "纬度", "经度"])
        writer.writerows([(*row, "", "", "", "") for row in rows])
    result = import_file("homesteads", path, w["user"])
    assert result.written, [p for p in result.problems][:3]


def op_service(rng, w, client):
    """A service: credit points recorded, corrected (to another household) and deleted."""
    action = rng.choice(["add", "change", "delete"])
    household = pick(rng, Household.objects)
    if action == "add":
        grid_services.add_credit_record(user=w["user"], household=household, date=rng.choice(QUARTER_ENDS),
                                        category="volunteer", points=rng.randrange(1, 5), reason="志愿服务")
    elif action == "change":
        record = pick(rng, CreditRecord.objects)
        record.household, record.date = household, rng.choice(QUARTER_ENDS)
        grid_services.change_credit_record(user=w["user"], record=record)
    else:
        grid_services.delete_credit_record(user=w["user"], record=pick(rng, CreditRecord.objects))


def op_admin(rng, w, client):
    """The admin: a parcel changed (moved) or a collective income deleted."""
    client.force_login(w["user"])
    if rng.random() < 0.5:
        parcel = pick(rng, Homestead.objects)
        url = reverse("admin:finance_homestead_change", args=[parcel.pk])
        data = admin_post_data(client.get(url))
        village = rng.choice(w["villages"])
        data.update({"village": str(village.pk), "parcel_code": parcel_code(village), "area": f"{rng.randrange(50, 300)}.00",
                     "use": rng.choice(HomesteadUse.values), "holder_id_number": id_number()})
        response = client.post(url, data)
        assert response.status_code == 302, response.context["adminform"].form.errors
    else:
        income = pick(rng, CollectiveIncome.objects)
        response = client.post(reverse("admin:villages_collectiveincome_delete", args=[income.pk]), {"post": "yes"})
    assert response.status_code == 302, response.content[:2000]


def op_queryset(rng, w, client):
    """Queryset updates and deletes (no signal of their own)."""
    action = rng.choice(["update", "delete", "bulk_update"])
    if action == "update":
        village = rng.choice(w["villages"])
        pks = [loan.pk for loan in picks(rng, Loan.objects, 3)]
        Loan.objects.filter(pk__in=pks).update(village=village, township=village.township_id,
                                               amount=Decimal(rng.randrange(1, 50) * 1000))
    elif action == "delete":
        Loan.objects.filter(pk__in=[loan.pk for loan in picks(rng, Loan.objects, 2)]).delete()
    else:
        parcels = picks(rng, Homestead.objects, 3)
        for parcel in parcels:
            parcel.use = rng.choice(HomesteadUse.values)
            parcel.village = rng.choice(w["villages"])
        Homestead.objects.bulk_update(parcels, ["use", "village"])


def op_copy(rng, w, client):
    """The bulk writer (COPY on PostgreSQL) and its change log, as the demo and the imports write."""
    villages = [rng.choice(w["villages"]) for _ in range(rng.randrange(2, 8))]
    objs = [Homestead(village=v, parcel_code=parcel_code(v), holder_name="孙八", holder_id_number=id_number(),
                      area=Decimal(rng.randrange(50, 300)), use=rng.choice(HomesteadUse.values), surveyed_on=rng.choice(QUARTER_ENDS))
            for v in villages]
    bulk.fast_insert(Homestead, objs)
    audit.log_bulk_create(Homestead, objs)


def op_move(rng, w, client):
    """Records along the metrics' paths move or change: a grid, a person, a village, a township, a
    training's kind, a survey round's year, a batch's year; pairings and attendance come and go."""
    if "moves" not in w:  # each kind in turn, so that a burst has them all
        w["moves"] = itertools.cycle(["grid", "person", "village", "township", "training", "round", "batch", "pairing",
                                      "attendance"])
    action = next(w["moves"])
    if action == "grid":
        grid = pick(rng, Grid.objects)
        grid.village = rng.choice(w["villages"])
        grid.save()
    elif action == "person":
        person = pick(rng, Person.objects)
        village = rng.choice(w["villages"] + [None])
        person.village, person.township = village, (village.township if village else rng.choice(w["townships"]))
        person.save()
    elif action == "village":
        village = rng.choice(w["villages"])
        village.refresh_from_db()
        village.township = rng.choice(w["townships"])
        village.save()
    elif action == "township":
        Township.objects.filter(pk=rng.choice(w["townships"]).pk).update(county=rng.choice([w["second"], w["townships"][0].county]))
    elif action == "training":
        training = pick(rng, Training.objects)
        training.kind = rng.choice(TrainingKind.values)
        training.save()
    elif action == "round":
        survey_round = pick(rng, SurveyRound.objects)
        survey_round.year = rng.choice([2023, 2024])
        survey_round.save()
    elif action == "batch":
        batch = pick(rng, FirstSecretaryBatch.objects)
        batch.year = rng.choice([2021, 2022, 2024])
        batch.save()
    elif action == "pairing":
        pairing = pick(rng, Pairing.objects)
        if rng.random() < 0.5 and pairing is not None:
            pairing.delete()  # its outcomes with it
        else:
            Pairing.objects.create(enterprise=Enterprise.objects.first(), village=rng.choice(w["villages"]),
                                   mode=Pairing._meta.get_field("mode").choices[0][0],
                                   path=Pairing._meta.get_field("path").choices[0][0], start_date=rng.choice(QUARTER_ENDS))
    else:
        attendance = pick(rng, TrainingAttendance.objects)
        if rng.random() < 0.5:
            attendance.delete()
        else:
            training, person = pick(rng, Training.objects), pick(rng, Person.objects)
            TrainingAttendance.objects.update_or_create(training=training, person=person,
                                                        defaults={"completed": rng.random() < 0.7})


PATHS = [op_form, op_api, op_bulk_api, op_import, op_service, op_admin, op_queryset, op_copy, op_move]


def burst(rng, w, client, tmp_path, count, check_each=True):
    done = {}
    for i in range(count):
        op = PATHS[i % len(PATHS)] if i < len(PATHS) else rng.choice(PATHS)
        if op is op_import:
            op(rng, w, client, tmp_path)
        else:
            op(rng, w, client)
        done[op.__name__] = done.get(op.__name__, 0) + 1
        if check_each:
            assert aggregates.verify() == [], (i, op.__name__)
    return done


def test_every_figure_is_read_from_the_aggregates_at_a_quarter_s_end(db):
    """No page counts the records at request time: the catalogue, and every compared figure "as of"
    a quarter's end (those counted through another record's date too: a village paired, a person
    trained by then)."""
    for key, m in figures.drills().items():
        assert aggregates.readable(m), key
    for key in figures.as_of_conditions():
        assert aggregates.readable(figures.drills()[key], as_of=dt.date(2024, 3, 31)), key
        if not figures.drills()[key].date_is_year:  # a day within a quarter: from the records (a year's figure reads the same)
            assert not aggregates.readable(figures.drills()[key], as_of=dt.date(2024, 3, 30)), key


def assert_figures_are_the_records():
    """Every figure read from the aggregates is the one computed from the records."""
    places = [None, *Township.objects.values_list("pk", flat=True)]
    for t in places:
        assert figures.compute(t) == figures.compute(t, raw=True), t
        assert figures.drill_values(t) == figures.drill_values(t, raw=True), t
        for day in QUARTER_ENDS:
            assert figures.drill_values_as_of(day, t) == figures.drill_values_as_of(day, t, raw=True), (t, day)
    keys = [k for k, m in figures.metrics().items() if m.village_path and m.kind != "latest_quarter"]
    def shown(values):  # a village whose rows all fall outside the metric's condition: 0 either way
        return {key: {v: x for v, x in per.items() if x} for key, per in values.items()}

    assert shown(figures.per_village_values(keys)) == shown(figures.per_village_values(keys, raw=True))
    periods = [quarter_dates(y, q) for y in (2023, 2024) for q in (1, 2, 3, 4)] + [(dt.date(2024, 1, 1), dt.date(2024, 12, 31))]
    dated = [k for k, m in figures.metrics().items() if m.date and m.kind != "latest_quarter"]
    for t in places:
        assert figures.period_values(dated, periods, township=t) == figures.period_values(dated, periods, township=t, raw=True), t
    villages = list(Village.objects.values_list("pk", flat=True)[:2])
    assert figures.period_values(dated, periods, villages=villages) == figures.period_values(dated, periods, villages=villages, raw=True)
    counties = list(County.objects.values_list("pk", flat=True))
    kept = [k for k, m in figures.drills().items() if aggregates.readable(m)]
    by_county = figures.per_county_values(kept, counties)  # the ``k`` rows
    for c in counties:
        raw = figures.compute_raw(keys=kept, county=c)
        assert {k: by_county[k][c] for k in kept} == raw, c


# -- the tests -----------------------------------------------------------------------------------
def test_the_aggregates_are_the_records_after_a_burst_of_writes_on_every_path(client, world, tmp_path):
    assert aggregates.verify() == []
    assert_figures_are_the_records()
    done = burst(random.Random(14), world, client, tmp_path, 90)
    assert set(done) == {op.__name__ for op in PATHS}
    assert_figures_are_the_records()
    out = StringIO()
    call_command("metrics", "verify", stdout=out)
    assert "0 differences" in out.getvalue()


def test_a_value_counted_in_two_counties_is_counted_once_for_all_of_them(world):
    """A distinct metric's value (a borrower) with loans in two counties: once in each county's total
    (``k`` rows), once in the whole database's (``p`` rows, by the quarter it is first counted in),
    and "as of" a quarter before its first loan in either county, not at all; moving it keeps that."""
    village = world["villages"][0]
    elsewhere = Township.objects.create(county=world["second"], code="370831100", name="泗张镇")
    far = Village.objects.create(township=elsewhere, code="370831100201", name="南村")
    borrower = id_number()
    near_loan = make_row("finance.Loan", village=village, township=village.township, borrower_id_number=borrower,
                         kind=LoanKind.STARTUP_GUARANTEE, amount=Decimal(10), granted_on=dt.date(2024, 5, 2), due_on=dt.date(2027, 1, 1))
    make_row("finance.Loan", village=far, township=elsewhere, borrower_id_number=borrower, kind=LoanKind.STARTUP_GUARANTEE,
             amount=Decimal(20), granted_on=dt.date(2023, 8, 1), due_on=dt.date(2027, 1, 1))
    distinct = [k for k, m in figures.drills().items() if m.kind == "distinct" and m.model == "finance.Loan"
                and aggregates.readable(m)]
    assert distinct
    counties = [village.township.county_id, world["second"].pk]
    for day in (None, dt.date(2023, 6, 30), dt.date(2023, 9, 30), dt.date(2024, 6, 30)):
        for key in distinct:
            whole = figures.drill_values_as_of(day, None)[key] if day else figures.compute(None)[key]
            raw = figures.drill_values_as_of(day, None, raw=True)[key] if day else figures.compute(None, raw=True)[key]
            assert whole == raw, (key, day)
    totals = figures.per_county_values(distinct, counties)
    for key in distinct:
        for c in counties:
            assert totals[key][c] == figures.compute_raw(keys=[key], county=c)[key], (key, c)
    near_loan.granted_on = dt.date(2023, 2, 1)  # now first counted in 2023 Q1, in the first county
    near_loan.save()
    for key in distinct:
        assert figures.drill_values_as_of(dt.date(2023, 3, 31), None)[key] == figures.drill_values_as_of(
            dt.date(2023, 3, 31), None, raw=True)[key]
    assert aggregates.verify() == []
    near_loan.delete()
    assert aggregates.verify() == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL only")
def test_a_save_s_statement_is_prepared_once_and_one_that_cannot_be_runs_unprepared(db, settings):
    with transaction.atomic(), connection.cursor() as cursor:
        for value in (41, 1):
            aggregates._execute_prepared(cursor, connection, "SELECT %s::bigint + 1", [value])
            assert cursor.fetchone() == (value + 1,)
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%$1::bigint + 1%'")
        assert cursor.fetchone() == (1,)
        # text > date cannot be prepared; the literal can be compared: the transaction goes on
        aggregates._execute_prepared(cursor, connection, "SELECT %s > DATE '2000-01-01'", ["2024-01-01"])
        assert cursor.fetchone() == (True,)
        settings.METRICS_PREPARED = False
        aggregates._execute_prepared(cursor, connection, "SELECT %s::bigint * 2", [21])
        assert cursor.fetchone() == (42,)
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%* 2%'")
        assert cursor.fetchone() == (0,)


def test_verify_finds_a_difference_and_rebuild_mends_it(world):
    row = MetricAggregate.objects.filter(level="v", metric="homestead_parcels").first()
    MetricAggregate.objects.filter(pk=row.pk).update(value=row.value + 1)
    found = aggregates.verify()
    assert [d[:2] for d in found] == [("v", "homestead_parcels")]
    out = StringIO()
    with pytest.raises(CommandError):  # manage.py exits with status 1
        call_command("metrics", "verify", stdout=out)
    assert "v homestead_parcels village" in out.getvalue() and "1 differences" in out.getvalue()
    call_command("metrics", "rebuild", stdout=StringIO())
    assert aggregates.verify() == []
    township = world["townships"][0]
    assert aggregates.verify(township=township.pk) == [] and aggregates.verify(county=township.county_id) == []


def test_a_deferred_block_recomputes_once(world):
    """A loop of single saves inside ``changes.deferred()`` (the bulk API) recomputes once, at its end."""
    village = world["villages"][0]
    before = figures.compute(village.township_id)["homestead_parcels"]
    with changes.deferred():
        for _ in range(5):
            Homestead.objects.create(village=village, parcel_code=parcel_code(village), holder_name="甲", holder_id_number=id_number(),
                                     area=Decimal(100), surveyed_on=dt.date(2024, 5, 1))
        assert figures.compute(village.township_id)["homestead_parcels"] == before  # not yet
    assert figures.compute(village.township_id)["homestead_parcels"] == before + 5
    assert aggregates.verify() == []


def test_nothing_is_kept_while_suspended_and_rebuild_catches_up(world):
    village = world["villages"][0]
    with aggregates.suspended():
        Homestead.objects.create(village=village, parcel_code=parcel_code(village), holder_name="甲", holder_id_number=id_number(),
                                 area=Decimal(100), surveyed_on=dt.date(2024, 5, 1))
    assert aggregates.verify() != []
    aggregates.rebuild()
    assert aggregates.verify() == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="two writers at once: PostgreSQL (CI: DATABASE_URL)")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("model", ["parcel", "loan"])  # a save's one statement; a distinct count's regrouping
def test_two_writers_at_once_keep_the_aggregates_exact(world, model):
    """A second writer of the same village and quarter waits for the first to commit (the group's
    advisory lock), then reads its records: no stale village row, no county or all-counties row
    regrouped twice."""
    village = world["villages"][0]
    other_township_village = world["villages"][2]

    def write(target):
        if model == "parcel":
            Homestead.objects.create(village=target, parcel_code=parcel_code(target), holder_name="甲",
                                     holder_id_number=id_number(), area=Decimal(100), surveyed_on=dt.date(2024, 5, 1))
        else:
            make_row("finance.Loan", village=target, township=target.township, borrower_id_number=id_number(),
                     kind=LoanKind.STARTUP_GUARANTEE, amount=Decimal(10), granted_on=dt.date(2024, 5, 2),
                     due_on=dt.date(2027, 1, 1))

    done = threading.Event()

    def second(target):
        try:
            with transaction.atomic():
                write(target)
        finally:
            connection.close()
            done.set()

    for target in (village, other_township_village):
        done.clear()
        with transaction.atomic():
            write(village)
            thread = threading.Thread(target=second, args=(target,))
            thread.start()
            assert not done.wait(0.5)  # waiting for the first writer's lock
        thread.join(10)
        assert done.is_set()
        assert aggregates.verify() == []
    assert_figures_are_the_records()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the committed burst runs on PostgreSQL (CI: DATABASE_URL)")
@pytest.mark.django_db(transaction=True)
def test_a_burst_of_committed_writes_on_postgresql(client, world, tmp_path):
    """Each write commits for real (autocommit, or its own transaction): the aggregates are written in
    the writer's transaction and committed with it."""
    rng = random.Random(15)
    for i in range(40):
        op = rng.choice(PATHS)
        args = (rng, world, client, tmp_path) if op is op_import else (rng, world, client)
        if i % 2:
            with transaction.atomic():  # several writes, one commit
                op(*args)
                op(*args)
        else:
            op(*args)  # as it comes: autocommit, or the path's own transaction
        assert aggregates.verify() == [], (i, op.__name__)
    assert_figures_are_the_records()


def test_the_nightly_beat_verifies_and_logs(world, settings, caplog):
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == tasks.verify_metrics.name)
    assert entry["schedule"] is not None
    with caplog.at_level("INFO", logger="wenshang.metrics"):
        assert tasks.verify_metrics() == 0
    assert "metrics verify: 0 differences" in caplog.text
    MetricAggregate.objects.filter(level="c", metric="villages").update(value=999)
    with caplog.at_level("INFO", logger="wenshang.metrics"):
        assert tasks.verify_metrics() > 0
    assert any(r.levelname == "ERROR" and "differences between the aggregates and the records" in r.getMessage()
               for r in caplog.records)
