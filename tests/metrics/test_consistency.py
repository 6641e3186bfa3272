"""Every metric (``wenshang.web.figures``), in every scope, is the same number wherever it is shown: the
catalogue's ``compute()`` and one-statement ``drill_values()``, the list page its drill-down opens
(count or sum of the listed rows), ``/api/v1/figures/``, the annual targets' achievement and the
quarterly report's XLSX."""
import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.cache import cache
from django.db.models import Sum
from django.utils import timezone
from openpyxl import load_workbook

from finance.choices import HomesteadUse, LoanKind
from talent.choices import HonourKind, PartySchoolLevel, TrainingKind
from villages.choices import ProjectKind, ProjectStatus, VillageHonourKind
from villages.models import Township, Village
from wenshang.dashboard import targets
from wenshang.kernel.periods import previous_quarter, quarter_dates, year_dates
from wenshang.reports import data as report_data
from wenshang.reports import xlsx
from wenshang.web import figures

Q1, Q2 = dt.date(2024, 2, 10), dt.date(2024, 5, 10)  # a day of the report's previous quarter and of its quarter
EARLIER = dt.date(2023, 8, 1)
QUARTER = (2024, 2)
_n = itertools.count(1)


def make(label, **kw):
    """A row of ``label`` with ``kw``; every other required field gets a plain value (never a new
    township or village: those are always given)."""
    model = apps.get_model(label)
    n = next(_n)
    for f in model._meta.concrete_fields:
        if f.primary_key or f.name in kw or f.null or f.has_default() or getattr(f, "auto_now", False) \
                or getattr(f, "auto_now_add", False):
            continue
        kind = f.get_internal_type()
        if f.is_relation:
            kw[f.name] = make(f.related_model._meta.label)
        elif f.choices:
            kw[f.name] = f.choices[0][0]
        elif kind in ("CharField", "TextField"):
            if not f.blank:
                kw[f.name] = f"{n:09d}"[-(f.max_length or 9):]
        elif kind == "DateField":
            kw[f.name] = Q1
        elif kind == "DateTimeField":
            kw[f.name] = timezone.make_aware(dt.datetime.combine(Q1, dt.time(9)))
        elif kind == "DecimalField":
            kw[f.name] = Decimal("10")
        elif "Integer" in kind:
            kw[f.name] = 1
    return model.objects.create(**kw)


def at(day):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10)))


def records(village, i, enterprise, batches):
    """Rows for every metric in ``village`` (``i``: varies the amounts), dated in 2024 Q1, Q2 and 2023."""
    t = village.township
    alliance = make("alliances.Alliance", founded_on=Q1, township=t)
    make("alliances.AllianceActivity", alliance=alliance, date=Q2)
    make("alliances.AllianceActivity", alliance=alliance, date=Q1)
    unit = make("alliances.MemberUnit", township=t, village=village)
    make("alliances.MemberUnit", township=t)  # in no alliance
    make("alliances.AllianceMembership", alliance=alliance, unit=unit, joined_on=Q2)
    committee = make("alliances.JointCommittee", township=t, established_on=Q1)
    make("alliances.JointCommitteeVillage", committee=committee, village=village, joined_on=Q2)
    make("alliances.Advisor", joint_committee=committee, start_date=Q1)
    make("alliances.TaskForceUnit")
    make("villages.VillageHonour", village=village, kind=VillageHonourKind.NATIONAL_GOVERNANCE, year=2023)
    make("villages.VillageHonour", village=village, kind=VillageHonourKind.PROVINCIAL_REVITALIZATION, year=2024)
    grid = make("grids.Grid", village=village)
    make("grids.GridEvent", grid=grid, reported_at=at(Q2), closed_at=at(Q2))
    make("grids.GridEvent", grid=grid, reported_at=at(Q1))
    household = make("grids.Household", grid=grid)
    make("grids.CreditRecord", household=household, date=Q2)
    hall = make("grids.LectureHall", village=village)
    make("grids.LectureSession", hall=hall, date=Q2, attendance=30 + i)
    make("grids.LectureSession", hall=hall, date=Q1, attendance=12)

    person = make("talent.Person", township=t, village=village)
    secretary = make("talent.FirstSecretary", person=person, batch=batches[2021], village=village, start_date=EARLIER)
    make("talent.FirstSecretary", person=make("talent.Person", township=t, village=village), batch=batches[2024],
         village=village, start_date=Q1)
    make("talent.FirstSecretaryAttendance", secretary=secretary, month=Q2, days_required=22, days_present=19 + i % 3)
    make("talent.FirstSecretaryAttendance", secretary=secretary, month=Q1, days_required=20, days_present=20)
    for kind, day in ((ProjectKind.KEY_ZONE, Q2), (ProjectKind.AGRI_PARK, Q1), (ProjectKind.SMART_AGRI_BASE, Q2),
                      (ProjectKind.PAIRING, Q2), (ProjectKind.MORTGAGE_AGRI, EARLIER)):
        p = make("villages.Project", kind=kind, township=t, start_date=day, investment=Decimal(100000 * (i + 1)),
                 income_added=Decimal("1234.50"))
        p.villages.add(village)
    for status in (ProjectStatus.BUILDING, ProjectStatus.COMPLETED, ProjectStatus.SCREENED):
        make("villages.Project", kind=ProjectKind.PARTNER, status=status, township=t, income_added=Decimal(777 * (i + 1)),
             start_date=None if status == ProjectStatus.SCREENED else Q2)
    make("villages.Project", kind=ProjectKind.FIRST_SECRETARY, township=t, first_secretary=secretary, start_date=Q1,
         investment=Decimal("50000.25"), income_added=Decimal(3000))
    for use in (HomesteadUse.IDLE, *[u for u in HomesteadUse.values if u != HomesteadUse.IDLE][:1], HomesteadUse.IDLE):
        make("finance.Homestead", village=village, use=use, area=Decimal("150.50"), surveyed_on=Q2)
    pairing = make("alliances.Pairing", enterprise=enterprise, village=village, start_date=Q2)
    make("alliances.PairingOutcome", pairing=pairing, year=2023, income_added=Decimal(20000 + i), jobs_added=3)
    make("alliances.PairingOutcome", pairing=pairing, year=2024, income_added=Decimal(5000), jobs_added=2)
    make("finance.FinanceViceMayor", township=t, start_date=Q1)
    for j, kind in enumerate(LoanKind.values):
        for day in (Q1, Q2):
            make("finance.Loan", kind=kind, township=t, village=village, amount=Decimal(10000 * (j + 1) + i),
                 granted_on=day, due_on=dt.date(2027, 1, 1), borrower_id_number=f"ID{village.pk}-{j}")
    make("finance.LandTransaction", village=village, date=Q2, area_mu=Decimal("3.25"), price=Decimal(88000 + i))
    make("finance.LandTransaction", village=village, date=Q1, area_mu=Decimal("1.5"), price=Decimal(1000))
    make("talent.ReserveCadre", person=person, village=village, since=Q2)
    make("talent.ReserveCadre", person=make("talent.Person", township=t, village=village), village=village, since=EARLIER)
    make("talent.Returnee", person=make("talent.Person", township=t, village=village), returned_on=Q2)
    make("talent.Returnee", person=make("talent.Person", township=t, village=village), returned_on=EARLIER)
    workstation = make("talent.Workstation", township=t, established_on=Q1)
    make("talent.Partner", person=person, workstation=workstation, joined_on=Q2)
    for kind in (TrainingKind.COMPOSITE_TALENT, TrainingKind.HIGH_QUALITY_FARMER):
        training = make("talent.Training", kind=kind, start_date=Q2, end_date=Q2)
        make("talent.TrainingAttendance", training=training, person=person, completed=True)
    make("talent.Honour", person=person, kind=HonourKind.GOOD_YOUTH, year=2024)
    make("talent.Honour", person=person, kind=HonourKind.AGRITECH_MODEL, year=2023)
    make("talent.PartySchool", level=PartySchoolLevel.TOWNSHIP, township=t)
    make("villages.CollectiveIncome", village=village, year=2024, amount=Decimal(150000 + i))
    make("villages.CollectiveIncome", village=village, year=2023, amount=Decimal(90000))


@pytest.fixture
def small_county(township_a, township_b, village_a, village_b):
    other = Village.objects.create(township=township_a, code="370830104299", name="东村")
    batches = {y: make("talent.FirstSecretaryBatch", year=y) for y in (2021, 2024)}
    enterprise = make("alliances.Enterprise")
    for i, village in enumerate((village_a, other, village_b)):
        records(village, i, enterprise, batches)
    make("talent.RecruitingStation", established_on=Q1)
    survey_round = make("villages.SurveyRound", year=2024, quarter=2, start_date=dt.date(2024, 4, 1),
                        end_date=dt.date(2024, 6, 30))
    for village in (village_a, village_b):
        make("villages.SurveyVisit", round=survey_round, village=village, visited_on=Q2)
    for year, quarter, balance in ((2024, 1, 100), (2024, 2, 130)):
        make("finance.AgriLoanReport", year=year, quarter=quarter, balance=Decimal(balance))
    cache.clear()
    return township_a, other


def listed_value(client, m, township=None, village=None, extra=()):
    """The count (or the sum) of the rows of ``m``'s list page for a scope, as the county admin reads it."""
    from wenshang.dashboard.views import list_url

    url = list_url(m.plural, [*m.query(township, village), *extra])
    response = client.get(url)
    assert response.status_code == 200, url
    filterset = response.context["filterset"]
    if village is not None and "village" not in filterset.filters:
        return None  # the list cannot show one village's rows
    if filterset.is_bound:  # an invalid filter would show every row
        assert filterset.is_valid(), (url, filterset.errors)
    rows = response.context["page"].paginator
    if m.kind == "sum":
        return Decimal(str(rows.object_list.aggregate(s=Sum(m.field))["s"] or 0))
    return rows.object_list.count()  # the rows themselves (a big table's pager shows an estimate)


def scopes():
    out = [(None, None)] + [(t.pk, None) for t in Township.objects.order_by("code")]
    return out


def test_every_catalogue_figure_is_its_list_and_the_api_in_every_scope(client, admin_user, small_county):
    client.force_login(admin_user)
    assert_catalogue_is_its_lists_and_the_api(client, [t for t, _ in scopes()])
    assert all(v for k, v in figures.compute().items() if k != "agri_loan_growth_pct"), figures.compute()


def assert_catalogue_is_its_lists_and_the_api(client, townships):
    """For the county (None) and each of ``townships``: every figure of the catalogue is the one its
    one-statement drill gives, the API's, its metric's value, and the count or sum of its list."""
    checked = 0
    for t in townships:
        computed = figures.compute(t)
        drilled = figures.drill_values(t)
        assert {k: v for k, v in computed.items() if k in drilled} == {k: drilled[k] for k in figures.drills()}
        code = Township.objects.get(pk=t).code if t else ""
        api = client.get("/api/v1/figures/" + (f"?township={code}" if code else "")).json()
        assert {f["key"]: f["value"] for f in api["figures"]} == computed
        for key, m in figures.drills().items():
            if t is not None and m.county_only:
                assert computed[key] is None
                continue
            assert Decimal(str(m.value(t))) == Decimal(str(computed[key])), (key, t)
            assert listed_value(client, m, t) == Decimal(str(computed[key])), (key, t)
            checked += 1
    assert checked > 100


def test_every_metric_with_a_list_is_its_list_for_a_village(client, admin_user, small_county):
    _, village = small_county
    client.force_login(admin_user)
    assert_village_is_its_lists(client, village)


def assert_village_is_its_lists(client, village):
    """Every metric with a list that can show one village's rows is that list's count or sum."""
    shown = 0
    for key, m in figures.metrics().items():
        if m.plural is None or m.village_path is None or m.kind not in ("count", "sum"):
            continue
        got = listed_value(client, m, village=village.pk)
        if got is not None:
            assert got == Decimal(str(m.value(village=village.pk))), key
            shown += 1
    assert shown >= 10


def test_as_of_values_are_the_lists_as_they_stood(client, admin_user, small_county):
    client.force_login(admin_user)
    for t, _ in scopes():
        for day in (Q1 - dt.timedelta(days=1), quarter_dates(*previous_quarter(*QUARTER))[1], quarter_dates(*QUARTER)[1]):
            values = figures.drill_values_as_of(day, t)
            for key, value in values.items():
                m = figures.drills()[key]
                assert Decimal(str(m.value(t, as_of=day))) == Decimal(str(value)), (key, t, day)
                got = listed_value(client, m, t, extra=[("figure", key), ("as_of", day.isoformat())])
                assert got == Decimal(str(value)), (key, t, day)


def test_targets_count_their_metric_within_the_year(client, admin_user, small_county):
    client.force_login(admin_user)
    _, village = small_county
    done = targets.achieved(2024)
    year = year_dates(2024)
    for key, ind in targets.INDICATORS.items():
        m = ind.metric
        assert Decimal(str(m.value(within=year))) == done[key]["county"], key
        for t in Township.objects.all():
            assert Decimal(str(m.value(t.pk, within=year))) == done[key]["townships"].get(t.pk, 0), key
            assert listed_value(client, m, t.pk, extra=m.period_query(*year)) == done[key]["townships"].get(t.pk, 0), key
        own = targets.achieved(2024, village.township_id)  # a township's: its villages
        assert Decimal(str(m.value(village=village.pk, within=year))) == own[key]["villages"].get(village.pk, 0), key
    for t in [None, *Township.objects.values_list("pk", flat=True)]:  # the aggregates are the records
        assert targets.achieved(2024, t) == {
            key: {**entry, "villages": entry["villages"] if t is not None else {}}
            for key, entry in targets.achieved(2024, t, raw=True).items()}


def _xlsx_indicators(report, tmp_path):
    path = tmp_path / "report.xlsx"
    xlsx.build(report, path)
    ws = load_workbook(path, read_only=True)["三链指标"]
    return {row[1]: (row[2], row[3]) for row in ws.iter_rows(values_only=True) if len(row) > 3 and row[1] and row[0] in
            {i.chain for i in report_data.INDICATORS}}


@pytest.mark.parametrize("scope", ["county", "township", "zone"])
def test_report_indicators_are_their_metric_within_the_quarter(small_county, tmp_path, scope):
    township, village = small_county
    assert_report_is_its_metrics(scope, township, village, tmp_path)


def assert_report_is_its_metrics(scope, township, village, tmp_path):
    """The quarterly report's chain indicators (its data and its XLSX) of the county, ``township`` or
    ``village``'s joint committee are their metrics within the quarter and the quarter before."""
    if scope == "county":
        subject = report_data.Subject("county")
    elif scope == "township":
        subject = report_data.Subject("township", township=township)
    else:
        committee = apps.get_model("alliances.JointCommitteeVillage").objects.get(village=village).committee
        subject = report_data.Subject("zone", committee=committee)
    report = report_data.collect(subject, *QUARTER)
    sheet = _xlsx_indicators(report, tmp_path)
    now, before = quarter_dates(*QUARTER), quarter_dates(*previous_quarter(*QUARTER))
    village_ids = list(subject.villages().values_list("pk", flat=True))
    for ind in report_data.INDICATORS:
        m = figures.metric(ind.metric)
        expected = []
        for period in (now, before):
            if scope == "zone":
                if m.village_path is None:
                    expected.append(None)
                    continue
                value = sum((Decimal(str(m.value(village=v, within=period))) for v in village_ids), Decimal(0)) \
                    if m.kind != "ratio" else None
                if m.kind == "ratio":
                    value = figures.period_values([ind.metric], [period], villages=village_ids)[ind.metric][0]
            else:
                value = m.value(township.pk if scope == "township" else None, within=period)
            if m.kind == "sum":
                value = Decimal(str(value))
                value = float((value / 10000).quantize(Decimal("0.01"))) if ind.unit == "万元" else int(value)
            expected.append(value)
        row = next(r for r in report["indicators"] if r["label"] == ind.label)
        assert [row["value"], row["previous"]] == expected, (ind.label, scope)
        got = sheet[ind.label]
        assert [None if v in (None, "—", "") else v for v in got] == expected, (ind.label, scope, got)
    assert any(r["value"] for r in report["indicators"])
