"""Two counties' records never mix (issue 14): scope at the county and city level.

Geography (beside the conftest's county and townships)::

    济宁市 370800 ── 汶上县 370830 (the conftest's ``county``) ── 寅寺镇 370830104 (``township_a``) …
                 └─ 任城区 370811 ── 任城试点镇 370811106
    临沂市 371300 ── 兰山区 371302 ── 兰山试点镇 371302107

Every registered entity has a record in each of the three counties (``tests.factories.make``). The
users: a county administrator, official and finance editor of 汶上县, a county administrator of
任城区, township staff of 寅寺镇 (``staff_a``), a city official of 济宁市 and a city administrator of
临沂市, and a superuser (no scope: every record).

The rule book, one case per model, as ``test_scope.py``'s at the township level: a county's user
reads and (by role) changes the records whose county is theirs, never another county's; a city's
user those of the city's counties; every path — ``restrict``, pages, API, exports, search, the
admin, imports, forms, dashboards — follows it.
"""
import contextlib
import csv
import io
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from rest_framework.test import APIClient

import wenshang.urls  # noqa: F401  (loads every app's views, which fill REGISTRY)
from alliances.models import Alliance, Enterprise, TaskForceUnit
from finance.models import AgriLoanReport, Homestead, Loan
from grids.models import Grid
from talent.models import FirstSecretaryBatch, RecruitingStation
from tests.conftest import PASSWORD
from tests.factories import credit_code, make, valid_id
from villages.models import City, County, SurveyRound, Target, Township, Village
from wenshang.dashboard.views import CITY_FIGURES
from wenshang.imports import get_spec, import_file
from wenshang.kernel.choices import Domain, Role
from wenshang.kernel.models import ObjectChange, User
from wenshang.kernel.scope import ACTIONS, can, county_id_of, county_path, permission_filter, scope_of
from wenshang.web import aggregates, figures, search
from wenshang.web.models import SearchEntry
from wenshang.web.portal import REGISTRY

LABELS = ("A", "B", "C")  # 汶上县 and 任城区 (济宁市), 兰山区 (临沂市)


# -- the geography and the users -------------------------------------------------------------------
@pytest.fixture
def geo(county, township_a, village_a):
    jining = City.objects.create(code="370800", name="济宁市")
    linyi = City.objects.create(code="371300", name="临沂市")
    county.city = jining
    county.save()
    rencheng = County.objects.create(code="370811", name="任城区", city=jining)
    lanshan = County.objects.create(code="371302", name="兰山区", city=linyi)
    tb = Township.objects.create(county=rencheng, code="370811106", name="任城试点镇")
    tc = Township.objects.create(county=lanshan, code="371302107", name="兰山试点镇")
    return {
        "cities": {"jining": jining, "linyi": linyi},
        "counties": {"A": county, "B": rencheng, "C": lanshan},
        "townships": {"A": township_a, "B": tb, "C": tc},
        "villages": {"A": village_a, "B": Village.objects.create(township=tb, code="370811106201", name="任城试点村"),
                     "C": Village.objects.create(township=tc, code="371302107201", name="兰山试点村")},
    }


@pytest.fixture
def people(geo, make_user, staff_a):
    c = geo["counties"]
    staff_a.refresh_from_db()  # its county (and city) completed by User.save
    return {
        "admin_a": make_user("admin_a", role=Role.ADMIN, county=c["A"]),
        "official_a": make_user("official_a", role=Role.OFFICIAL, county=c["A"]),
        "finance_a": make_user("finance_a", role=Role.EDITOR, domain=Domain.FINANCE, county=c["A"]),
        "admin_b": make_user("admin_b", role=Role.ADMIN, county=c["B"]),
        "staff_a": staff_a,
        "city_jn": make_user("city_jn", role=Role.OFFICIAL, city=geo["cities"]["jining"]),
        "city_admin_ly": make_user("city_admin_ly", role=Role.ADMIN, city=geo["cities"]["linyi"]),
        "root": make_user("root", role=Role.OFFICIAL, is_superuser=True),
    }


# The counties each user's scope covers ("all": every record).
COVERS = {"admin_a": {"A"}, "official_a": {"A"}, "finance_a": {"A"}, "admin_b": {"B"}, "staff_a": {"A"},
          "city_jn": {"A", "B"}, "city_admin_ly": {"C"}, "root": {"A", "B", "C"}}

PORTAL_MODELS = sorted({cfg.model for cfg in REGISTRY.values()}, key=lambda m: m._meta.label)


def records(geo, models=PORTAL_MODELS):
    """{model: {label: a record of that county}} for every registered entity (a factory's record in
    each county's township; a county and a city are their own). The figures' aggregates are made
    once at the end (``aggregates.rebuild``), not at each of the ~300 writes."""
    out = {}
    with getattr(aggregates, "suspended", contextlib.nullcontext)():
        for n, model in enumerate(models, start=1):  # a number of its own per model: no factory's record twice
            if model is City:
                out[model] = {"A": geo["cities"]["jining"], "C": geo["cities"]["linyi"]}
            elif model in (County, Township):
                out[model] = {label: make(model, geo["townships"][label]) for label in LABELS}
            else:
                out[model] = {label: make(model, geo["townships"][label], n) for label in LABELS}
    if hasattr(aggregates, "rebuild"):
        aggregates.rebuild()
    return out


@pytest.fixture
def world(geo):
    return records(geo)


def counties_of(geo, labels):
    return {geo["counties"][label].pk for label in labels}


def rows_in(model, county_ids):
    """The pks of ``model``'s rows of these counties (along its county path)."""
    path = county_path(model)
    if path is None:  # a city: the cities of these counties
        return set(County.objects.filter(pk__in=county_ids).values_list("city", flat=True)) - {None}
    return set(model._base_manager.filter(**{f"{path}__in": county_ids}).values_list("pk", flat=True))


# -- every record has its county ---------------------------------------------------------------------
def test_every_record_knows_its_county(geo, world):
    for model, rows in world.items():
        if model is City:
            continue
        for label, obj in rows.items():
            assert county_id_of(obj) == geo["counties"][label].pk, (model, label)


def test_county_level_catalogues_hold_their_own_county(geo):
    """Catalogues without a township take their county; names and years are unique per county."""
    a, b = geo["counties"]["A"], geo["counties"]["B"]
    for county in (a, b):  # the same name, year or quarter in two counties
        TaskForceUnit.objects.create(name="县委组织部", county=county)
        FirstSecretaryBatch.objects.create(year=2021, name="2021年度驻村第一书记", start_date="2021-06-01", county=county)
        SurveyRound.objects.create(year=2024, quarter=1, start_date="2024-01-01", end_date="2024-03-31", county=county)
        AgriLoanReport.objects.create(bank="农商银行", year=2024, quarter=1, balance=Decimal("1"), county=county)
    with pytest.raises(ValidationError):
        TaskForceUnit(name="县委组织部", county=a).full_clean()
    # a record with a township takes the township's county; another county is refused with a field error
    alliance = Alliance(name="共富联盟", scope="township", township=geo["townships"]["B"], founded_on="2024-01-01")
    alliance.full_clean()
    assert alliance.county == b
    wrong = Enterprise(name="企业", credit_code=credit_code("91370830MA3C00001"), township=geo["townships"]["B"], county=a)
    with pytest.raises(ValidationError) as raised:
        wrong.clean_fields()
    assert "township" in raised.value.message_dict


def test_a_link_to_another_county_s_record_is_refused(geo):
    """Two counties' records never mix, whoever may read both (a city's user)."""
    from alliances.models import Pairing

    enterprise = make(Enterprise, geo["townships"]["B"], 5)
    pairing = Pairing(enterprise=enterprise, village=geo["villages"]["A"], mode="projects", path="specialty", start_date="2024-03-01")
    with pytest.raises(ValidationError) as raised:
        pairing.full_clean()
    assert "enterprise" in raised.value.message_dict


# -- the rule book: restrict() and can() for every model ------------------------------------------------
def test_restrict_never_gives_another_county_s_record(geo, world, people):
    for who in COVERS:
        check_restrict(geo, world, people, who)


def check_restrict(geo, world, people, who):
    user = people[who]
    allowed_counties = counties_of(geo, COVERS[who])
    for model, rows in world.items():
        visible = set(model.objects.restrict(user, "view").values_list("pk", flat=True))
        assert visible <= rows_in(model, allowed_counties), (who, model)
        for label, obj in rows.items():
            inside = label in COVERS[who]
            if who == "staff_a" or model is City:  # a township's: its township's rows and its county's catalogues only
                continue  # (a city: the city of the user's county, compared with rows_in below)
            assert (obj.pk in visible) is inside, (who, model, label)
            assert can(user, "view", obj) is inside, (who, model, label)
        if who != "staff_a":
            assert visible == rows_in(model, allowed_counties), (who, model)


def test_writes_stay_in_the_county(geo, world, people):
    """A county's administrator changes the records of their county (admin_only ones included) and none
    of another; an official changes nothing; a finance editor their county's finance records only."""
    for action, (model, rows) in ((a, item) for a in ACTIONS[1:] for item in world.items()):
        for label, obj in rows.items():
            assert can(people["admin_b"], action, obj) is (label == "B" and model is not City
                                                              and getattr(model, "scope_editable", True)), (model, label, action)
            assert not can(people["official_a"], action, obj)
            expected = label == "A" and model._meta.app_label == "finance"
            assert can(people["finance_a"], action, obj) is expected, (model, label, action)


# The county-level table (the same shape as test_scope.py's township table): role → model → counties read, written.
TABLE_MODELS = {"village": Village, "township": Township, "county": County, "grid": Grid, "homestead": Homestead,
                "loan": Loan, "station": RecruitingStation, "alliance": Alliance, "target": Target}
TABLE = {
    "admin_a": {m: ({"A"}, {"A"}) for m in TABLE_MODELS},
    "official_a": {m: ({"A"}, set()) for m in TABLE_MODELS},
    "finance_a": {m: ({"A"}, {"A"} if m in ("homestead", "loan") else set()) for m in TABLE_MODELS},
    "admin_b": {m: ({"B"}, {"B"}) for m in TABLE_MODELS},
    "city_jn": {m: ({"A", "B"}, set()) for m in TABLE_MODELS},
    "city_admin_ly": {m: ({"C"}, {"C"}) for m in TABLE_MODELS},
    "root": {m: ({"A", "B", "C"}, {"A", "B", "C"}) for m in TABLE_MODELS},
}


@pytest.fixture
def table_world(geo):
    return records(geo, list(TABLE_MODELS.values()))


@pytest.mark.parametrize("who", list(TABLE))
def test_the_county_table(geo, table_world, people, who):
    """Each case of the table: ``can()`` on every record agrees, and ``restrict()`` gives exactly them."""
    for name, model in TABLE_MODELS.items():
        read, write = TABLE[who][name]
        for action in ACTIONS:
            expected = read if action == "view" else write
            for label, obj in table_world[model].items():
                assert can(people[who], action, obj) is (label in expected), (who, name, action, label)
            got = set(model.objects.restrict(people[who], action).values_list("pk", flat=True))
            assert {o.pk for o in table_world[model].values()} & got == {table_world[model][lab].pk for lab in expected}, (
                who, name, action)


def test_township_staff_read_their_county_s_catalogues_only(geo, world, people):
    staff = people["staff_a"]
    for model in (RecruitingStation, SurveyRound, TaskForceUnit, AgriLoanReport, FirstSecretaryBatch):
        rows = world[model]
        assert can(staff, "view", rows["A"]) and not can(staff, "view", rows["B"]) and not can(staff, "view", rows["C"])
        assert not can(staff, "change", rows["A"])
    # the county-wide (no township) rows of their own county only
    county_wide = {label: Alliance.objects.create(name="县大联盟", scope="county", county=geo["counties"][label],
                                                  founded_on="2021-03-18") for label in LABELS}
    visible = set(Alliance.objects.restrict(staff, "view").values_list("pk", flat=True))
    assert county_wide["A"].pk in visible and county_wide["B"].pk not in visible and county_wide["C"].pk not in visible


def test_the_change_log_of_another_county_is_not_read(geo, world, people):
    for who in ("admin_a", "city_jn"):
        seen = set(ObjectChange.objects.restrict(people[who], "view").values_list("county", flat=True))
        assert seen and seen <= counties_of(geo, COVERS[who]), who


def test_user_scope_is_kept_consistent(geo):
    t = geo["townships"]["B"]
    user = User(username="x", role=Role.TOWNSHIP, township=t)
    user.set_password(PASSWORD)
    user.full_clean(exclude=["password"])
    assert (user.county, user.city) == (geo["counties"]["B"], geo["cities"]["jining"])
    wrong = User(username="y", role=Role.TOWNSHIP, township=t, county=geo["counties"]["A"])
    with pytest.raises(ValidationError) as raised:
        wrong.full_clean(exclude=["password"])
    assert "county" in raised.value.message_dict
    other_city = User(username="z", role=Role.OFFICIAL, county=geo["counties"]["C"], city=geo["cities"]["jining"])
    with pytest.raises(ValidationError):
        other_city.full_clean(exclude=["password"])
    assert scope_of(User(username="w", role=Role.OFFICIAL, city=geo["cities"]["linyi"])).level == "city"


# -- pages, API, exports, search, the admin: never another county's record --------------------------
def detail_path(cfg, obj):
    return reverse(cfg.url_name("detail"), args=[obj.pk])


def test_pages_show_no_other_county_s_record(client, geo, world, people):
    client.force_login(people["admin_a"])
    for cfg in REGISTRY.values():
        rows = world[cfg.model]
        listed = client.get(cfg.list_url())
        assert listed.status_code == 200, cfg.plural
        page = listed.content.decode()
        for label, obj in rows.items():
            detail = client.get(detail_path(cfg, obj))
            if label == "A":
                assert detail.status_code == 200, (cfg.plural, label)
            else:
                assert detail.status_code == 404, (cfg.plural, label)
                assert f'href="{detail_path(cfg, obj)}"' not in page, (cfg.plural, label)


def test_the_city_s_user_reads_its_counties_and_not_another_city_s(client, geo, world, people):
    client.force_login(people["city_jn"])
    for cfg in REGISTRY.values():
        for label, obj in world[cfg.model].items():
            expected = 200 if label in ("A", "B") else 404
            assert client.get(detail_path(cfg, obj)).status_code == expected, (cfg.plural, label)


def api_ids(client, cfg):
    ids, response = set(), client.get(f"/api/v1/{cfg.app()}/{cfg.plural}/", {"page_size": 1000})
    while True:
        assert response.status_code == 200, (cfg.plural, response.content[:200])
        body = response.json()
        ids |= {row["id"] for row in body["results"]}
        if not body["next"]:
            return ids
        response = client.get(body["next"])


@pytest.mark.parametrize("who", ["official_a", "city_jn"])
def test_the_api_lists_and_reads_the_scope_only(geo, world, people, who):
    api = APIClient()
    api.force_authenticate(people[who])
    allowed = counties_of(geo, COVERS[who])
    for cfg in REGISTRY.values():
        ids = api_ids(api, cfg)
        assert ids == rows_in(cfg.model, allowed), cfg.plural
        for label, obj in world[cfg.model].items():
            status = api.get(f"/api/v1/{cfg.app()}/{cfg.plural}/{obj.pk}/").status_code
            if label not in COVERS[who]:
                assert status == 404, (cfg.plural, label)


def test_a_county_token_sees_its_county_only(geo, world, make_token):
    token = make_token("汶上县系统")
    token.user.county = geo["counties"]["A"]
    token.user.save()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token.key}")
    for model in (Village, Loan, RecruitingStation, Alliance):
        cfg = next(c for c in REGISTRY.values() if c.model is model)
        assert api_ids(api, cfg) == rows_in(model, counties_of(geo, "A")), cfg.plural
    figures_a = api.get("/api/v1/figures/").json()
    assert figures_a["county"]["code"] == "370830"
    assert api.get("/api/v1/figures/", {"county": "370811"}).status_code == 404


def test_exports_hold_the_scope_only(client, geo, world, people):
    client.force_login(people["admin_a"])
    for cfg in REGISTRY.values():
        response = client.get(reverse("export_csv", args=[cfg.plural]))
        assert response.status_code == 200, cfg.plural
        text = b"".join(response.streaming_content if response.streaming else [response.content]).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))[1:]
        expected = cfg.model.objects.restrict(people["admin_a"], "view").count()
        assert len(rows) == expected, cfg.plural
        assert expected == len(rows_in(cfg.model, counties_of(geo, "A"))), cfg.plural


def test_search_finds_the_scope_only(client, geo, world, people):
    search.rebuild()
    county_wide = Alliance.objects.create(name="任城区县大联盟", scope="county", county=geo["counties"]["B"], founded_on="2021-03-18")
    assert SearchEntry.objects.get(object_id=county_wide.pk, content_type=ContentType.objects.get_for_model(Alliance)).county_id \
        == geo["counties"]["B"].pk
    for who, q, found in (("admin_a", "任城试点村", False), ("admin_a", "东石楼村", True), ("staff_a", "任城区县大联盟", False),
                          ("admin_b", "任城区县大联盟", True), ("city_jn", "任城试点村", True), ("city_jn", "兰山试点村", False),
                          ("city_admin_ly", "兰山试点村", True)):
        names = [e.name for g in search.search(people[who], q) for e in g["entries"]]
        assert (q in names) is found, (who, q)
    client.force_login(people["admin_a"])
    assert "任城试点村" not in client.get(reverse("search"), {"q": "试点村"}).content.decode()


def admin_url(model, action="changelist", *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


def test_the_admin_shows_no_other_county_s_record(client, geo, world, people):
    client.force_login(people["admin_a"])
    for model, rows in world.items():
        try:
            url = admin_url(model)
        except NoReverseMatch:
            continue
        response = client.get(url)
        if response.status_code == 403:
            continue
        assert response.status_code == 200, model
        shown = {obj.pk for obj in response.context["cl"].result_list}
        assert shown <= rows_in(model, counties_of(geo, "A")), model
        other = rows.get("B")
        if other is not None:
            assert client.get(admin_url(model, "change", other.pk)).status_code in (302, 403, 404), model


# -- writes into another county are refused on every path -------------------------------------------
def test_a_form_refuses_another_county(client, geo, people):
    client.force_login(people["admin_a"])
    count = Village.objects.count()
    response = client.post(reverse("villages:village_add"), {"township": geo["townships"]["B"].pk, "code": "370811106299",
                                                            "name": "越界村", "kind": "village", "tier": "excellence"})
    assert response.status_code == 200 and "township" in response.context["form"].errors
    assert Village.objects.count() == count
    # a county-level catalogue takes the user's county, shown and fixed
    form = client.get(reverse("talent:recruitingstation_add")).context["form"]
    assert form.fields["county"].disabled and list(form.fields["county"].queryset) == [geo["counties"]["A"]]
    response = client.post(reverse("talent:recruitingstation_add"), {"name": "深圳归雁回引工作站", "city": "深圳",
                                                                      "established_on": "2024-01-01", "county": geo["counties"]["B"].pk})
    assert response.status_code == 302
    assert RecruitingStation.objects.get(name="深圳归雁回引工作站").county == geo["counties"]["A"]  # the posted county is ignored


def test_a_city_user_chooses_the_county_among_its_own(client, geo, people, make_user):
    admin = make_user("city_admin_jn", role=Role.ADMIN, city=geo["cities"]["jining"])
    client.force_login(admin)
    form = client.get(reverse("talent:recruitingstation_add")).context["form"]
    assert not form.fields["county"].disabled
    assert set(form.fields["county"].queryset) == {geo["counties"]["A"], geo["counties"]["B"]}
    station = {"name": "上海站", "city": "上海", "established_on": "2024-01-01"}
    response = client.post(reverse("talent:recruitingstation_add"), station)
    assert response.status_code == 200 and "county" in response.context["form"].errors
    response = client.post(reverse("talent:recruitingstation_add"), {**station, "county": geo["counties"]["C"].pk})
    assert response.status_code == 200 and "county" in response.context["form"].errors  # another city's county
    response = client.post(reverse("talent:recruitingstation_add"), {**station, "county": geo["counties"]["B"].pk,
                                                                      "name": "上海站"})
    assert response.status_code == 302 and RecruitingStation.objects.get(name="上海站").county == geo["counties"]["B"]
    # a city's only county is fixed for its administrator
    client.force_login(people["city_admin_ly"])
    form = client.get(reverse("talent:recruitingstation_add")).context["form"]
    assert form.fields["county"].disabled and list(form.fields["county"].queryset) == [geo["counties"]["C"]]


def test_the_api_refuses_another_county(geo, world, people):
    api = APIClient()
    api.force_authenticate(people["admin_a"])
    before = Village.objects.count()
    response = api.post("/api/v1/villages/villages/", {"township": geo["townships"]["B"].pk, "code": "370811106298",
                                                       "name": "越界村"}, format="json")
    assert response.status_code == 400 and "township" in response.json()["errors"]
    response = api.post("/api/v1/talent/recruiting-stations/", {"name": "广州站", "city": "广州", "established_on": "2024-01-01",
                                                               "county": geo["counties"]["B"].pk}, format="json")
    assert response.status_code == 400 and "county" in response.json()["errors"]
    response = api.post("/api/v1/talent/recruiting-stations/", {"name": "广州站", "city": "广州", "established_on": "2024-01-01"},
                        format="json")
    assert response.status_code == 201 and RecruitingStation.objects.get(pk=response.json()["id"]).county == geo["counties"]["A"]
    response = api.post("/api/v1/finance/homesteads/bulk/", [
        {"village": geo["villages"]["A"].pk, "parcel_code": f"{geo['villages']['A'].code}JC00901", "holder_name": "甲",
         "holder_id_number": valid_id("37083019900101123"), "area": "120", "surveyed_on": "2024-01-01"},
        {"village": geo["villages"]["B"].pk, "parcel_code": f"{geo['villages']['B'].code}JC00902", "holder_name": "乙",
         "holder_id_number": valid_id("37081119900101125"), "area": "120", "surveyed_on": "2024-01-01"},
    ], format="json")
    assert response.status_code == 400 and [i["index"] for i in response.json()["items"]] == [1]
    assert not Homestead.objects.filter(parcel_code__endswith="JC00901").exists()
    assert api.patch(f"/api/v1/villages/villages/{world[Village]['B'].pk}/", {"name": "改"}, format="json").status_code == 404
    assert Village.objects.count() == before


def test_an_import_refuses_another_county_s_village(geo, people, tmp_path):
    path = tmp_path / "incomes.csv"
    path.write_text("村代码,年度,集体收入（元）,经营性收入（元）\n"
                    f"{geo['villages']['A'].code},2024,100000,50000\n"
                    f"{geo['villages']['B'].code},2024,100000,50000\n", encoding="utf-8")
    result = import_file("collective-incomes", path, people["admin_a"])
    assert not result.ok and [p["row"] for p in result.problems if p["code"] == "scope"] == [3]
    path.write_text("村代码,年度,集体收入（元）,经营性收入（元）\n"
                    f"{geo['villages']['A'].code},2024,100000,50000\n", encoding="utf-8")
    result = import_file("collective-incomes", path, people["admin_a"])
    assert result.ok and result.created == 1


def test_an_import_of_a_county_level_record_takes_the_importer_s_county(geo, people, tmp_path):
    """A member unit's name is unique per county: the same name is another county's own record."""
    from alliances.models import MemberUnit

    MemberUnit.objects.create(name="县直机关党支部", kind="department", county=geo["counties"]["B"])
    spec = get_spec("member-units")
    values = {"单位名称": "县直机关党支部", "party_members": "12"}
    row = [values.get(c.header, "department" if c.field is not None and c.field.name == "kind" else
                      "12" if c.field is not None and c.field.name == "party_members" else "") for c in spec.columns]
    path = tmp_path / "units.csv"
    path.write_text(",".join(c.header for c in spec.columns) + "\n" + ",".join(row) + "\n", encoding="utf-8")
    result = import_file("member-units", path, people["admin_a"])
    assert result.ok and result.created == 1, result.problems
    assert MemberUnit.objects.get(name="县直机关党支部", county=geo["counties"]["A"]).party_members == 12
    assert MemberUnit.objects.filter(name="县直机关党支部").count() == 2


def test_the_admin_refuses_another_county(client, geo, people):
    client.force_login(people["admin_a"])
    before = RecruitingStation.objects.count()
    response = client.post(admin_url(RecruitingStation, "add"), {"name": "越界站", "city": "北京", "established_on": "2024-01-01",
                                                                  "county": geo["counties"]["B"].pk})
    assert response.status_code in (200, 302, 403)
    created = RecruitingStation.objects.filter(name="越界站").first()
    assert created is None or created.county == geo["counties"]["A"]  # the county is the administrator's, fixed
    assert RecruitingStation.objects.filter(county=geo["counties"]["B"]).count() == 0
    assert RecruitingStation.objects.count() in (before, before + 1)


# -- dashboards and users ------------------------------------------------------------------------------
def test_a_county_user_s_dashboard_shows_their_county_alone(client, geo, world, people):
    assert figures.compute(county=geo["counties"]["A"])["villages"] != figures.compute()["villages"]
    client.force_login(people["official_a"])
    response = client.get("/")
    assert response.status_code == 200 and response.context["county"] == geo["counties"]["A"]
    html = response.content.decode()
    expected = figures.compute(county=geo["counties"]["A"].pk)
    assert 'data-figure="villages"' in html
    values = response.context["chains"]
    shown = {t["key"]: t["value"] for chain in values for t in chain["tiles"]}
    for key, value in shown.items():
        assert value == expected[key], key
    assert "汶上县" in html and "任城区" not in html
    assert client.get(f"/dashboard/counties/{geo['counties']['B'].pk}/").status_code == 404
    assert client.get(f"/dashboard/townships/{geo['townships']['B'].pk}/").status_code == 404
    assert client.get("/dashboard/map/data/", {"county": geo["counties"]["B"].pk}).status_code == 404


def test_the_city_page_compares_its_counties(client, geo, world, people):
    client.force_login(people["city_jn"])
    response = client.get("/")
    assert response.status_code == 200 and response.context["city"] == geo["cities"]["jining"]
    names = [r["county"].name for r in response.context["rows"]]
    assert sorted(names) == ["任城区", "汶上县"]
    for row in response.context["rows"]:  # every compared figure is the county's own (one query for them all)
        expected = figures.compute(keys=CITY_FIGURES, county=row["county"].pk)
        assert row["values"] == expected
        assert expected == figures.compute(keys=CITY_FIGURES, county=row["county"].pk, raw=True)
    cache.clear()
    with CaptureQueriesContext(connection) as cold:
        assert client.get("/").status_code == 200
    # session, user (with the city), the counties; the aggregates of every county, the banks' reports by county
    assert len(cold.captured_queries) == 5, [q["sql"][:120] for q in cold.captured_queries]
    county_page = client.get(response.context["rows"][0]["url"])
    assert county_page.status_code == 200
    html = county_page.content.decode()
    trail = html[html.index('class="breadcrumb'):]
    trail = trail[:trail.index("</ol>")]
    assert trail.index("济宁市") < trail.index(response.context["rows"][0]["county"].name)
    assert client.get(f"/dashboard/counties/{geo['counties']['C'].pk}/").status_code == 404
    assert client.get(f"/dashboard/cities/{geo['cities']['linyi'].pk}/").status_code == 404


def test_breadcrumbs_run_from_the_city_to_the_village(client, geo, world, people):
    client.force_login(people["city_jn"])
    grid = world[Grid]["B"]
    crumbs = [str(label) for label, _url in client.get(reverse("grids:grid_detail", args=[grid.pk])).context["breadcrumbs"]]
    assert crumbs[:4] == ["济宁市", "任城区", "任城试点镇", str(grid.village)]


def test_a_county_administrator_makes_users_of_their_county(client, geo, people):
    client.force_login(people["admin_a"])
    form = client.get(reverse("user_add")).context["form"]
    assert form.fields["county"].disabled and list(form.fields["county"].queryset) == [geo["counties"]["A"]]
    data = {"username": "new_clerk", "first_name": "新", "role": Role.TOWNSHIP, "township": geo["townships"]["A"].pk,
            "password1": "Pass-word-9876", "password2": "Pass-word-9876", "is_active": "on"}
    assert client.post(reverse("user_add"), data).status_code == 302
    assert User.objects.get(username="new_clerk").county == geo["counties"]["A"]
    response = client.post(reverse("user_add"), {**data, "username": "other_clerk", "township": geo["townships"]["B"].pk})
    assert response.status_code == 200 and not User.objects.filter(username="other_clerk").exists()
    users = client.get(reverse("user_list")).context["page"].object_list
    assert {u.username for u in users} <= set(User.objects.filter(county=geo["counties"]["A"]).values_list("username", flat=True))


def test_a_city_administrator_makes_users_in_any_county_of_the_city(client, geo, people):
    client.force_login(people["city_admin_ly"])
    data = {"username": "ls_official", "first_name": "兰", "role": Role.OFFICIAL, "county": geo["counties"]["C"].pk,
            "password1": "Pass-word-9876", "password2": "Pass-word-9876", "is_active": "on"}
    assert client.post(reverse("user_add"), data).status_code == 302
    made = User.objects.get(username="ls_official")
    assert (made.county, made.city) == (geo["counties"]["C"], geo["cities"]["linyi"])
    response = client.post(reverse("user_add"), {**data, "username": "wx_official", "county": geo["counties"]["A"].pk})
    assert response.status_code == 200 and not User.objects.filter(username="wx_official").exists()


def test_permission_filter_is_by_county(geo, people):
    q = permission_filter(people["admin_a"], Grid, "view")
    assert str(q) == str(type(q)(village__township__county=geo["counties"]["A"].pk))
    assert permission_filter(people["root"], Grid, "view") is True


def test_one_county_s_villages_figures_come_from_the_aggregates_and_are_its_own(geo, world):
    keys = ["homestead_parcels", "homestead_area", "homestead_idle", "reserve_cadres"]
    county = geo["counties"]["A"].pk
    with CaptureQueriesContext(connection) as queries:
        stored = figures.per_village_values(keys, county=county)
    assert len(queries.captured_queries) == 1 and "metricaggregate" in queries.captured_queries[0]["sql"]
    def shown(values):  # a village whose rows all fall outside a metric's condition: 0 either way
        return {key: {v: x for v, x in per.items() if x} for key, per in values.items()}

    assert shown(stored) == shown(figures.per_village_values(keys, county=county, raw=True))
    assert stored["homestead_parcels"] and set(stored["homestead_parcels"]) <= set(
        Village.objects.filter(township__county=county).values_list("pk", flat=True))
