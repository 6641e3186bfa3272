"""The demo city (``load_demo --city``, ``wenshang.demo.city``), reduced: Wenshang (whole, as the
article has it) and two small counties of Jining (鱼台县, the 高新区) at 5 % of Wenshang's density.
Built once for this module (about 40 s), flushed after it.

Wenshang stays Wenshang (its records and its 50 figures); every county has its real townships with
villages and records; every code begins with its own county's code; no record of one county points
at another county's records."""
import csv
import hashlib
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db.models import F
from django.db.models.functions import Substr

from alliances.models import Enterprise
from finance.models import Homestead, Loan
from grids.models import Grid, Household
from talent.models import Person
from villages.models import City, County, Township, Village
from wenshang.demo import city as demo_city
from wenshang.demo.build import WENSHANG, wenshang_spec
from wenshang.kernel.choices import Role
from wenshang.kernel.models import User
from wenshang.kernel.scope import county_path
from wenshang.web import aggregates, figures

from .test_demo import FINGERPRINT, article_figures

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
OTHERS = ("370827", "370871")  # 鱼台县 (11 townships), 济宁高新技术产业开发区 (5)
APPS = ("villages", "alliances", "grids", "finance", "talent")


def csv_townships():
    """{county code: {township code: name}} of 济宁市 (the repository's copy)."""
    out = {}
    with demo_city.TOWNSHIPS_CSV.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            out.setdefault(row["county_code"], {})[row["code"]] = row["name"]
    return out


@pytest.fixture(scope="module")
def city(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        out = StringIO()
        call_command("load_demo", "--city", "--scale", "0.05", "--counties", ",".join(OTHERS), stdout=out)
    try:
        yield out.getvalue()
    finally:
        with django_db_blocker.unblock():
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def city_db(city, db):
    return city


# -- without a build -----------------------------------------------------------------------------------
def test_the_repository_copy_of_jining_is_the_shared_list():
    shared = SHARED / "shandong_townships.csv"
    if not shared.exists():
        pytest.skip("../shared is not beside this checkout")
    with shared.open(encoding="utf-8") as fh:
        rows = [row for row in csv.DictReader(fh) if row["city_code"] == "3708"]
    with demo_city.TOWNSHIPS_CSV.open(encoding="utf-8") as fh:
        assert list(csv.DictReader(fh)) == rows
    counties = {r["county_code"] for r in rows}
    assert len(counties) == 12 and WENSHANG in counties and len(rows) == 158


def test_every_county_has_a_spec_in_proportion_to_its_townships():
    specs = demo_city.city_specs()
    assert [s.code for s in specs][0] == WENSHANG and len(specs) == 12
    assert specs[0].target == wenshang_spec().target and specs[0].factor == 1
    for spec in specs[1:]:
        assert spec.seed != specs[0].seed and spec.portal_users is False
        assert 0.9 * len(spec.townships) / 15 <= spec.factor <= 1.1 * len(spec.townships) / 15
        assert set(spec.village_counts) == {code for code, _ in spec.townships}
        assert min(spec.village_counts.values()) >= 3
        assert spec.target["homestead_parcels"] == round(199_900 * spec.factor)
    total = sum(s.target["homestead_parcels"] for s in specs)
    assert 1_800_000 < total < 2_400_000  # about 10x Wenshang
    assert demo_city.city_specs() == specs  # deterministic


def test_scale_and_counties_go_with_city(db):
    with pytest.raises(CommandError):
        call_command("load_demo", "--scale", "0.5", stdout=StringIO())


# -- the reduced city ------------------------------------------------------------------------------------
slow = pytest.mark.slow


@slow
def test_the_city_and_its_counties(city_db):
    jining = City.objects.get()
    assert (jining.code, jining.name) == demo_city.CITY
    codes = set(County.objects.values_list("code", flat=True))
    assert codes == {WENSHANG, *OTHERS}
    assert set(County.objects.values_list("city", flat=True)) == {jining.pk}
    assert "Demo city 济宁市 (3 counties) loaded" in city_db


@slow
def test_wenshang_is_unchanged(city_db):
    """The same records (the fingerprint of test_demo, on Wenshang's records) and the same 50 figures,
    counted from the records and read from the aggregates, for the county of Wenshang."""
    wenshang = County.objects.get(code=WENSHANG)
    assert wenshang_fingerprint() == FINGERPRINT
    expected = article_figures()
    for raw in (True, False):
        computed = figures.compute(county=wenshang, raw=raw)
        for key, row in expected.items():
            assert Decimal(str(computed[key])) == Decimal(row["value"]), (key, raw)


@slow
def test_the_figure_aggregates_are_the_records(city_db):
    """The city's aggregates are rebuilt once after its counties: ``metrics verify`` finds no difference,
    and each county's figures read from them are those counted from its records."""
    assert aggregates.verify() == []
    for county in County.objects.all():
        assert figures.compute(county=county) == figures.compute(county=county, raw=True), county.name


def wenshang_fingerprint():
    """``test_demo.fingerprint()`` of Wenshang's records only."""
    digest = hashlib.sha256()
    queries = [
        Village.objects.filter(township__county__code=WENSHANG).order_by("code").values_list("code", "name", "tier", "households"),
        Homestead.objects.filter(village__township__county__code=WENSHANG).order_by("parcel_code")
        .values_list("parcel_code", "holder_id_number", "area", "use"),
        Person.objects.filter(township__county__code=WENSHANG).order_by("id_number").values_list("id_number", "name", "phone"),
        Loan.objects.filter(township__county__code=WENSHANG).order_by("pk").values_list("kind", "borrower_id_number", "amount", "granted_on"),
    ]
    for query in queries:
        for row in query.iterator(chunk_size=5000):
            digest.update(repr(row).encode())
    return digest.hexdigest()


@slow
def test_every_county_has_its_real_townships_with_villages_and_records(city_db):
    real = csv_townships()
    main = [("villages", "Village"), ("villages", "Project"), ("villages", "SurveyVisit"), ("villages", "CollectiveIncome"),
            ("grids", "Grid"), ("grids", "Household"), ("grids", "CreditRecord"), ("finance", "Homestead"), ("finance", "Loan"),
            ("finance", "LandTransaction"), ("finance", "AgriLoanReport"), ("talent", "Person"), ("talent", "ReserveCadre"),
            ("talent", "FirstSecretary"), ("alliances", "Alliance"), ("alliances", "MemberUnit"), ("alliances", "Pairing"),
            ("alliances", "TaskForceUnit"), ("villages", "SurveyRound"), ("villages", "Target")]
    for county in County.objects.all():
        townships = dict(Township.objects.filter(county=county).values_list("code", "name"))
        assert townships == real[county.code], county.name
        for township in Township.objects.filter(county=county):
            assert Village.objects.filter(township=township).count() >= 3, township.name
            assert Homestead.objects.filter(village__township=township).exists(), township.name
        for app, name in main:
            model = apps.get_model(app, name)
            assert model.objects.filter(**{county_path(model): county.pk}).exists(), (county.name, name)
    assert Village.objects.filter(township__county__code=WENSHANG).count() == 346
    for code in OTHERS:
        villages = Village.objects.filter(township__county__code=code).count()
        assert villages >= 3 * len(real[code])


@slow
def test_every_code_begins_with_its_county_code(city_db):
    assert not Township.objects.exclude(code__startswith=F("county__code")).exists()
    assert not Village.objects.exclude(code__startswith=F("township__code")).exists()
    assert not Grid.objects.exclude(code__startswith=F("village__code")).exists()
    assert not Homestead.objects.exclude(parcel_code__startswith=F("village__code")).exists()
    assert not Homestead.objects.exclude(holder_id_number__startswith=F("village__township__county__code")).exists()
    assert not Household.objects.exclude(head_id_number__startswith=F("grid__village__township__county__code")).exists()
    assert not Person.objects.exclude(id_number__startswith=F("township__county__code")).exists()
    assert not Loan.objects.exclude(borrower_id_number="").exclude(borrower_id_number__startswith=F("township__county__code")).exists()
    wrong = Enterprise.objects.annotate(area=Substr("credit_code", 3, 6)).exclude(area=F("county__code"))
    assert not wrong.exists()
    for code in OTHERS:  # and the other counties have records of their own to check
        assert Person.objects.filter(id_number__startswith=code).exists()
        assert Homestead.objects.filter(parcel_code__startswith=code).exists()


@slow
def test_no_record_points_at_another_countys_record(city_db):
    """Every relation between two records of a county (a foreign key or a many-to-many link) stays in
    the county: the record's county (``county_path``) is the related record's."""
    checked = 0
    for label in APPS:
        for model in apps.get_app_config(label).get_models():
            mine = county_path(model)
            if not mine or mine == "pk":
                continue
            assert not model.objects.filter(**{f"{mine}__isnull": True}).exists(), f"{model.__name__} without a county"
            for field in [*model._meta.concrete_fields, *model._meta.many_to_many]:
                if not field.is_relation:
                    continue
                theirs = county_path(field.related_model)
                if not theirs:
                    continue
                path = field.name if theirs == "pk" else f"{field.name}__{theirs}"
                links = model.objects.filter(**{f"{mine}__isnull": False, f"{path}__isnull": False})
                crossing = links.exclude(**{mine: F(path)})
                assert not crossing.exists(), f"{model.__name__}.{field.name}: {crossing.count()} records point at another county's"
                checked += 1
    assert checked > 60


@slow
def test_the_city_users(city_db):
    jining = City.objects.get()
    city_user = User.objects.get(username="city")
    assert (city_user.role, city_user.city_id, city_user.county_id) == (Role.OFFICIAL, jining.pk, None)
    assert city_user.check_password("demo12345")
    for county in County.objects.all():
        official = User.objects.get(username=f"c{county.code}")
        assert (official.role, official.county_id, official.township_id) == (Role.OFFICIAL, county.pk, None)
    for township in Township.objects.select_related("county"):
        clerk = User.objects.get(username=f"t{township.code}")
        assert (clerk.role, clerk.township_id, clerk.county_id) == (Role.TOWNSHIP, township.pk, township.county_id)
    wenshang = County.objects.get(code=WENSHANG)
    for name in ("admin", "leader", "finance"):
        assert User.objects.get(username=name).county_id == wenshang.pk
