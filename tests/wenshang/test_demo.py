"""The demo county: built once per test run by ``load_demo`` (about 25 s on SQLite, 40 s on
PostgreSQL; the ``demo_county`` fixture of tests/conftest.py), then flushed."""
import csv
import datetime as dt
import hashlib
import json
import random
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from finance.choices import LoanKind
from finance.models import AgriLoanReport, Homestead, Loan
from talent.models import Person, Returnee
from villages.models import SurveyRound, Township, Village
from wenshang.closing.models import Close, FrozenValue, Submission
from wenshang.kernel import locks
from wenshang.kernel.choices import Role
from wenshang.kernel.locks import PeriodLocked
from wenshang.kernel.models import ObjectChange, User
from wenshang.kernel.validators import validate_credit_code, validate_id_number
from wenshang.web import figures

pytestmark = pytest.mark.slow

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
REPO_DATA = Path(__file__).resolve().parents[2]
AS_OF = dt.date(2024, 6, 30)

# What the demo county must look like, record for record: a fingerprint of its main tables.
# Change it only when the generator is changed on purpose; the same value on SQLite and
# PostgreSQL shows that the build is deterministic on both.
FINGERPRINT = "179189a7c2e3371afa08949779f1943a5e420817fbe316d603480ff93bc2d780"


def article_figures():
    path = SHARED / "seed_figures.csv"
    if not path.exists():  # CI and developers have ../shared; the repository keeps a copy
        path = REPO_DATA / "wenshang" / "data" / "seed_figures.csv"
    with path.open(encoding="utf-8") as fh:
        return {row["key"]: row for row in csv.DictReader(fh)}


@pytest.fixture
def demo(demo_county):
    return demo_county


@pytest.fixture
def demo_db(demo, db):
    """The demo county, inside a transaction rolled back after each test."""
    return demo


def test_repository_copy_of_the_figure_list_is_the_article_list():
    shared = SHARED / "seed_figures.csv"
    if not shared.exists():
        pytest.skip("../shared is not beside this checkout")
    assert (REPO_DATA / "wenshang" / "data" / "seed_figures.csv").read_bytes() == shared.read_bytes()
    assert (REPO_DATA / "villages" / "data" / "wenshang_townships.csv").read_bytes() == (
        SHARED / "wenshang_townships.csv"
    ).read_bytes()


def test_every_figure_equals_the_article(demo_db):
    computed = figures.compute()
    expected = article_figures()
    assert set(computed) == set(expected)
    for key, row in expected.items():
        assert Decimal(str(computed[key])) == Decimal(row["value"]), key


def test_figures_command_json_equals_the_article(demo_db):
    out = StringIO()
    call_command("figures", "--json", stdout=out)
    values = json.loads(out.getvalue())
    for key, row in article_figures().items():
        assert isinstance(values[key], (int, float)), key
        assert Decimal(str(values[key])) == Decimal(row["value"]), key


def test_figures_command_prints_key_label_value(demo_db):
    out = StringIO()
    call_command("figures", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 50
    assert any(line.startswith("homestead_parcels") and "宅基地信息调查宗数" in line and "199,900" in line for line in lines)


def test_figures_use_a_fixed_number_of_queries(demo_db):
    township = Township.objects.get(code="370830104")
    with CaptureQueriesContext(connection) as county:
        figures.compute()
    with CaptureQueriesContext(connection) as one:
        figures.compute(township=township)
    assert len(county.captured_queries) == 2  # the aggregates kept on write, and the banks' reports
    assert len(one.captured_queries) == 1
    with CaptureQueriesContext(connection) as county:
        figures.compute(raw=True)
    with CaptureQueriesContext(connection) as one:
        figures.compute(township=township, raw=True)
    assert len(county.captured_queries) == 26  # from the records: one per model
    assert len(one.captured_queries) == 23  # task force, stations and the banks' county-wide reports are not read for a township


def test_township_figures_add_up_to_the_county(demo_db):
    county = figures.compute()
    totals = {}
    for township in Township.objects.all():
        for key, value in figures.compute(township=township).items():
            if value is not None and figures.catalogue()[key].unit in ("count", "yuan", "mu") and key not in (
                "alliance_member_units", "paired_enterprises"  # distinct counts may repeat across townships
            ):
                totals[key] = totals.get(key, 0) + Decimal(str(value))
    for key in ("villages", "grids", "homestead_parcels", "joint_committee_villages", "project_loans",
                "land_transactions_area", "reserve_cadres", "first_secretaries_2021", "township_party_schools"):
        assert totals[key] == Decimal(str(county[key])), key
    one = figures.compute(township=Township.objects.get(code="370830104"))
    assert one["recruiting_stations"] is None and one["agri_loan_balance"] is None


def test_figures_command_for_one_township(demo_db):
    out = StringIO()
    call_command("figures", "--json", "--township", "370830104", stdout=out)
    values = json.loads(out.getvalue())
    assert values["villages"] == Village.objects.filter(township__code="370830104").count()
    assert values["task_force_units"] is None
    with pytest.raises(CommandError):
        call_command("figures", "--township", "999999999")


def test_changing_records_moves_the_figures(demo_db):
    before = figures.compute()
    township = Township.objects.get(code="370830104")
    Village.objects.create(township=township, code="370830104299", name="新建测试村")
    with locks.correcting("test"):  # a parcel of a closed quarter: as an approved correction request
        Homestead.objects.filter(pk=Homestead.objects.order_by("pk").values("pk")[:1]).delete()
    Loan.objects.create(kind=LoanKind.PROJECT, bank="汶上农村商业银行", borrower_name="测试合作社", township=township,
                        amount=Decimal("1234.56"), annual_rate=Decimal("4.35"), term_months=12,
                        granted_on=dt.date(2024, 6, 1), due_on=dt.date(2025, 6, 1))
    person = Person.objects.filter(township=township).first()
    Returnee.objects.create(person=person, returned_on=dt.date(2024, 5, 1), from_city="杭州", role="startup")
    latest = AgriLoanReport.objects.order_by("-year", "-quarter").first()
    AgriLoanReport.objects.filter(pk=latest.pk).update(balance=latest.balance + 1_000_000)
    after = figures.compute()
    assert after["villages"] == before["villages"] + 1
    assert after["homestead_parcels"] == before["homestead_parcels"] - 1
    assert Decimal(str(after["project_loans"])) == Decimal(str(before["project_loans"])) + Decimal("1234.56")
    assert after["returned_talents"] == before["returned_talents"] + 1
    assert after["agri_loan_balance"] == before["agri_loan_balance"] + 1_000_000
    assert after["agri_loan_growth_pct"] >= before["agri_loan_growth_pct"]


def test_the_county_as_the_article_describes_it(demo_db):
    townships = {t.code: t.name for t in Township.objects.all()}
    with (REPO_DATA / "villages" / "data" / "wenshang_townships.csv").open(encoding="utf-8") as fh:
        assert townships == {row["code"]: row["name"] for row in csv.DictReader(fh)}
    assert Village.objects.count() == 346
    dongshilou = Village.objects.get(name="东石楼村", township__name="寅寺镇")
    assert dongshilou.code.startswith("370830104") and len(dongshilou.code) == 12
    for village in Village.objects.select_related("township"):
        assert village.code.startswith(village.township.code)
    households = list(Village.objects.values_list("households", flat=True))
    assert min(households) < 300 and max(households) > 1500  # varied sizes
    rounds = list(SurveyRound.objects.order_by("year", "quarter").values_list("year", "quarter"))
    assert rounds[0] == (2021, 1) and rounds[-1] == (2024, 2) and len(rounds) == 14


def test_records_are_dated_within_the_period(demo_db):
    from alliances.models import AllianceActivity, FundEntry, Pairing
    from finance.models import LandTransaction
    from grids.models import CreditRecord, GridEvent
    from talent.models import FirstSecretaryAttendance, ReserveCadre, VillageSecretary
    from villages.models import SurveyVisit, TierChange

    dated = [
        (Loan, "granted_on"), (LandTransaction, "date"), (Homestead, "surveyed_on"), (SurveyVisit, "visited_on"),
        (TierChange, "date"), (AllianceActivity, "date"), (FundEntry, "date"), (Pairing, "start_date"),
        (CreditRecord, "date"), (Returnee, "returned_on"), (ReserveCadre, "since"), (VillageSecretary, "start_date"),
        (FirstSecretaryAttendance, "month"),
    ]
    for model, field in dated:
        values = model.objects.values_list(field, flat=True)
        assert min(values) >= dt.date(2021, 1, 1), model
        assert max(values) <= AS_OF, model
    times = GridEvent.objects.values_list("reported_at", flat=True)
    assert max(times).date() <= AS_OF


def test_sample_records_pass_model_validation(demo_db):
    """Every model: a sample of its rows passes full_clean (valid ID numbers, credit codes,
    mobile numbers, division codes, amounts, dates and the models' own rules)."""
    rng = random.Random(1)
    for label in ("villages", "alliances", "grids", "finance", "talent"):
        for model in apps.get_app_config(label).get_models():
            pks = list(model.objects.values_list("pk", flat=True))
            assert pks, f"{model.__name__} has no demo rows"
            for obj in model.objects.filter(pk__in=rng.sample(pks, min(len(pks), 25))):
                try:
                    obj.full_clean()
                except ValidationError as exc:  # pragma: no cover - the message is the point
                    pytest.fail(f"{model.__name__} {obj.pk}: {exc.message_dict}")


def test_the_apps_give_rows_of_their_own_from_a_stream_of_their_own(demo_db):
    """``<app>/demo.py`` (``wenshang.kernel.demo_rows``): found in app order, its rows saved and logged
    by the build; an app's stream is the same on every build and none of the build's."""
    from alliances.models import TaskForceUnit
    from wenshang.demo.build import SEED, DemoCounty, app_demos

    order = [config.label for config in apps.get_app_configs()]
    labels = [label for label, _ in app_demos()]
    assert "alliances" in labels and "wenshang" not in labels
    assert labels == sorted(labels, key=order.index)
    unit = TaskForceUnit.objects.get(is_lead=True)
    assert unit.name == "县委组织部"
    assert ObjectChange.objects.get(content_type__model="taskforceunit", object_id=str(unit.pk)).source == "command:load_demo"
    one, two = DemoCounty().extra_random("alliances.x"), DemoCounty().extra_random("alliances.x")
    draws = [one.random() for _ in range(3)]
    assert draws == [two.random() for _ in range(3)]
    assert draws != [DemoCounty().extra_random("grids.x").random() for _ in range(3)]
    assert draws[0] not in (random.Random(SEED).random(), random.Random(SEED + 1).random(), random.Random(SEED + 2).random())


def test_every_id_number_and_credit_code_is_valid(demo_db):
    from alliances.models import Enterprise
    from grids.models import Household

    numbers = list(Person.objects.values_list("id_number", flat=True))
    numbers += list(Homestead.objects.values_list("holder_id_number", flat=True))
    numbers += list(Household.objects.values_list("head_id_number", flat=True))
    numbers += [n for n in Loan.objects.values_list("borrower_id_number", flat=True) if n]
    assert len(numbers) > 200_000
    for number in numbers:
        validate_id_number(number)
    for code in Enterprise.objects.values_list("credit_code", flat=True):
        validate_credit_code(code)


def test_realistic_variety(demo_db):
    assert Person.objects.values("name").distinct().count() > 2000
    assert Homestead.objects.values("holder_name").distinct().count() > 2000
    assert Homestead.objects.values("area").distinct().count() > 10_000
    assert Homestead.objects.values("use").distinct().count() == 5
    assert Loan.objects.values("amount").distinct().count() > 300


def test_the_demo_load_is_recorded_in_the_change_log(demo_db):
    entry = ObjectChange.objects.filter(object_repr="东石楼村").first()
    assert entry.action == "create" and entry.source == "command:load_demo"
    assert entry.township.name == "寅寺镇"
    assert ObjectChange.objects.count() >= Homestead.objects.count() + Village.objects.count()


def test_demo_users(demo_db):
    roles = {u.username: (u.role, u.township.code if u.township else None, u.domain) for u in User.objects.all()}
    assert roles["admin"] == (Role.ADMIN, None, "")
    assert roles["leader"] == (Role.OFFICIAL, None, "")
    assert roles["finance"] == (Role.EDITOR, None, "finance")
    assert roles["t370830104"] == (Role.TOWNSHIP, "370830104", "")
    assert len([u for u in roles if u.startswith("t3708")]) == 15
    assert User.objects.get(username="t370830104").check_password("demo12345")


def test_load_demo_refuses_a_database_with_data(demo_db):
    with pytest.raises(CommandError):
        call_command("load_demo", stdout=StringIO())
    out = StringIO()
    call_command("load_demo", "--if-empty", stdout=out)
    assert "already holds data" in out.getvalue()


def fingerprint():
    digest = hashlib.sha256()
    queries = [
        Village.objects.order_by("code").values_list("code", "name", "tier", "households"),
        Homestead.objects.order_by("parcel_code").values_list("parcel_code", "holder_id_number", "area", "use"),
        Person.objects.order_by("id_number").values_list("id_number", "name", "phone"),
        Loan.objects.order_by("pk").values_list("kind", "borrower_id_number", "amount", "granted_on"),
    ]
    for query in queries:
        for row in query.iterator(chunk_size=5000):
            digest.update(repr(row).encode())
    return digest.hexdigest()


def test_demo_is_deterministic(demo_db):
    assert fingerprint() == FINGERPRINT


def test_the_demo_county_looks_alive_in_the_latest_quarters(demo_db):
    """Reserve cadres are trained (后备人才培养链条 is not 0 of 1,840) and join every quarter; no
    quarterly indicator of the report falls to nothing from 2024 Q1 to Q2 (no −100%)."""

    from talent.models import ReserveCadre, TrainingAttendance
    from wenshang.reports.data import INDICATORS

    reserves = ReserveCadre.objects.count()
    trained = ReserveCadre.objects.filter(person__in=TrainingAttendance.objects.filter(completed=True).values("person")).count()
    assert reserves // 2 < trained < reserves
    q1, q2 = (dt.date(2024, 1, 1), dt.date(2024, 3, 31)), (dt.date(2024, 4, 1), dt.date(2024, 6, 30))
    checked = 0
    for ind in INDICATORS:
        m = figures.metric(ind.metric)
        if m.kind not in ("count", "sum"):
            continue
        values = {"q1": m.value(within=q1), "q2": m.value(within=q2)}
        assert values["q2"], (ind.label, values)  # something new in the latest quarter
        checked += 1
    assert checked >= 10
    added = ReserveCadre.objects.filter(since__range=q2).count()
    assert added > 100  # new reserve cadres in 2024 Q2, as in earlier quarters


# -- the REST API on the demo county: a township's token walks every endpoint -------------------------
def test_a_township_token_walks_every_endpoint_and_finds_nothing_it_may_not_see(demo_db, make_token):
    """Every list, followed page by page, holds exactly the records the token may read (no more, no
    fewer, none twice); related records appear as ids, never nested, and one outside the token's
    scope stays a 404; a record of another township is a 404; another township's village as a
    filter is refused."""
    from django_filters import ModelChoiceFilter
    from rest_framework.test import APIClient

    from villages.models import Township, Village
    from wenshang.api.urls import app_routes  # noqa: F401 - registers every app's ModelViews
    from wenshang.web.portal import REGISTRY

    township = Township.objects.get(code="370830104")
    token = make_token("寅寺镇系统", township=township, read_only=True)
    user = token.user
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.key}")
    other_village = Village.objects.exclude(township=township).first()
    configs = {c.model: f"/api/v1/{c.app()}/{c.plural}/" for c in REGISTRY.values()}
    walked = 0
    for config in REGISTRY.values():
        model = config.model
        url = f"/api/v1/{config.app()}/{config.plural}/"
        rows, page = [], client.get(url, {"page_size": 1000})
        while True:
            assert page.status_code == 200, (url, page.content[:300])
            body = page.json()
            rows += body["results"]
            if not body["next"]:
                break
            page = client.get(body["next"])
        visible = set(model.objects.restrict(user, "view").values_list("pk", flat=True))
        assert {row["id"] for row in rows} == visible, url
        assert len(rows) == len(visible), url  # no record twice across pages
        # related records appear as ids only, never nested: a pairing of the township's village with
        # an enterprise of another township names the enterprise by its id, and that id is a 404
        for field in model._meta.get_fields():
            if not (field.concrete and field.is_relation):
                continue
            shown = set()
            for row in rows:
                value = row.get(field.name)
                values = value if isinstance(value, list) else [value] if value is not None else []
                assert all(isinstance(v, int) for v in values), (url, field.name, value)
                shown.update(values)
            if hasattr(field.related_model._default_manager, "restrict") and field.related_model in configs:
                allowed = set(field.related_model.objects.restrict(user, "view").filter(pk__in=shown).values_list("pk", flat=True))
                related_url = configs[field.related_model]
                for pk in sorted(shown - allowed)[:2]:
                    assert client.get(f"{related_url}{pk}/").status_code == 404, (url, field.name, pk)
        hidden = model.objects.exclude(pk__in=visible).values_list("pk", flat=True)[:3]
        for pk in hidden:
            assert client.get(f"{url}{pk}/").status_code == 404, (url, pk)
        filterset = config.filterset_class
        if filterset is not None and isinstance(filterset.base_filters.get("village"), ModelChoiceFilter):
            assert client.get(url, {"village": other_village.pk}).status_code == 400, url
        walked += 1 if rows or hidden else 0
    assert walked >= 50  # the demo county fills (nearly) every entity


def test_the_demo_has_closed_quarters_and_one_open(demo_db):
    """2021 Q1 – 2024 Q1 closed (every township approved, the figures frozen as of each quarter's
    end), 2024 Q2 open: the quarter cycle can be tried at once."""
    closed = sorted(Close.objects.values_list("year", "quarter"))
    assert closed[0] == (2021, 1) and closed[-1] == (2024, 1) and len(closed) == 13
    townships = Township.objects.count()
    assert Submission.objects.filter(state="approved").count() == 13 * townships
    assert not Submission.objects.filter(year=2024, quarter=2).exists()
    close = Close.objects.get(year=2023, quarter=4)
    frozen = {v.key: v.value for v in FrozenValue.objects.filter(snapshot__close=close)}
    m = figures.metric("loans_granted")
    assert frozen["loans_granted"] == m.raw_value(as_of=close.end_date) > 0
    loan = Loan.objects.filter(granted_on__year=2022).first()
    loan.bank = "另一家银行"
    with pytest.raises(PeriodLocked), transaction.atomic():
        loan.save()
