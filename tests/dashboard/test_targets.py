"""Annual targets: set by the county for itself and its townships and by a township for its villages;
counted from the records of the year; compared with the calendar (序时进度); ranked; every
achievement links to exactly the rows it counts, every target to the target behind it."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import Sum
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from alliances.models import Enterprise, Pairing, PairingOutcome
from finance.models import LandTransaction, Loan
from talent.models import Person, RecruitingStation, ReserveCadre, Returnee
from tests.viewtests import ModelViewTests
from villages.models import CollectiveIncome, SurveyRound, SurveyVisit, Target, Village
from villages.views import TargetViews
from wenshang.dashboard import targets
from wenshang.kernel.validators import credit_check_char, id_check_char

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2024, 6, 30)


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


def id_number(first17):
    return first17 + id_check_char(first17)


def records(village, n, year, seq=0):
    """``n`` records of every indicator's kind in ``village`` and ``year`` (and their links)."""
    d = dt.date(year, 3, 10)
    township = village.township
    CollectiveIncome.objects.create(village=village, year=year, amount=Decimal(100000 * n), operating=0)
    enterprise = Enterprise.objects.create(name=f"企业{village.code}{year}", township=township,
                                           credit_code=(lambda f: f + credit_check_char(f))(f"91370830MA3C{year % 100:02d}{seq:03d}"))
    pairing = Pairing.objects.create(enterprise=enterprise, village=village, mode="projects", path="specialty", start_date=d)
    PairingOutcome.objects.create(pairing=pairing, year=year, income_added=Decimal(1000 * n), jobs_added=1)
    station, _ = RecruitingStation.objects.get_or_create(name="北京归雁工作站", city="北京", established_on=dt.date(2021, 1, 1))
    round_, _ = SurveyRound.objects.get_or_create(year=year, quarter=1, defaults={
        "theme": f"{year}年一季度大调研", "start_date": dt.date(year, 1, 1), "end_date": dt.date(year, 3, 31)})
    for i in range(n):
        Loan.objects.create(kind="startup_guarantee", bank="农商银行", borrower_name="吴九",
                            borrower_id_number=id_number(f"370830198001{seq:02d}{i:02d}12"[:17]), township=township,
                            village=village, amount=Decimal(10000), annual_rate=Decimal("4.35"), term_months=12,
                            granted_on=d, due_on=d + dt.timedelta(days=365))
        LandTransaction.objects.create(village=village, contract_no=f"WS{village.code}{year}{i}", date=d, area_mu=Decimal(1),
                                       price=Decimal(5000), buyer="汶上如意科技", use="industrial", term_years=40)
        SurveyVisit.objects.create(round=round_, village=village, visited_on=d + dt.timedelta(days=i), visitors="调研组",
                                   rating_organization=3, rating_industry=3, rating_talent=3, rating_governance=3,
                                   rating_environment=3, analysis="良好")
        person = Person.objects.create(name=f"人{i}", id_number=id_number(f"370830199{year % 10}01{seq:02d}{i:02d}1"[:17]),
                                       township=township, village=village)
        ReserveCadre.objects.create(person=person, village=village, mentor="赵六", since=d)
        Returnee.objects.create(person=person, station=station, returned_on=d, from_city="北京", role="startup")


@pytest.fixture
def county_records(village_a, village_b):
    records(village_a, 3, 2024, seq=1)
    records(village_b, 1, 2024, seq=2)
    records(village_a, 2, 2023, seq=3)  # another year: never counted in 2024's


def target(indicator, value, year=2024, township=None, village=None):
    return Target.objects.create(year=year, indicator=indicator, township=township or getattr(village, "township", None),
                                 village=village, value=Decimal(value))


# -- the record ------------------------------------------------------------------------------------
class TestTargetViews(ModelViewTests):
    config = TargetViews
    changes = {"value": "12.00", "note": "调整"}

    def make(self, township, n=0):
        village = Village.objects.filter(township=township).first() or Village.objects.create(
            township=township, code=f"{township.code}2{n:02d}", name=f"目标{n}村")
        return Target.objects.create(year=2020 + n, indicator="reserve_cadres", township=township, village=village, value=5 + n)

    def form_data(self, township):
        village = Village.objects.filter(township=township).first() or Village.objects.create(
            township=township, code=f"{township.code}299", name="目标村")
        return {"year": 2030, "indicator": "survey_visits", "village": village.pk, "value": "4"}


def test_a_village_target_takes_the_village_s_township(client, staff_a, village_a):
    client.force_login(staff_a)
    response = client.post("/villages/targets/add/", {"year": 2024, "indicator": "loans_amount", "village": village_a.pk,
                                                      "value": "300000"})
    assert response.status_code == 302
    assert Target.objects.get().township == village_a.township


def test_township_staff_set_villages_targets_not_the_township_s(client, staff_a, township_a, village_a, village_b):
    client.force_login(staff_a)
    response = client.post("/villages/targets/add/", {"year": 2024, "indicator": "loans_amount", "township": township_a.pk,
                                                      "value": "300000"})
    assert response.status_code == 200
    assert "镇（街道）目标由县里下达" in str(response.context["form"].errors["village"])
    response = client.post("/villages/targets/add/", {"year": 2024, "indicator": "loans_amount", "village": village_b.pk,
                                                      "value": "300000"})
    assert response.status_code == 200 and "village" in response.context["form"].errors  # not a choice of theirs
    assert not Target.objects.exists()


def test_the_county_sets_its_own_and_the_townships_targets(client, admin_user, township_a):
    client.force_login(admin_user)
    for data in ({}, {"township": township_a.pk}):
        response = client.post("/villages/targets/add/", {"year": 2024, "indicator": "returnees", "value": "30", **data})
        assert response.status_code == 302
    assert sorted((t.level, t.township_id) for t in Target.objects.all()) == [("county", None), ("township", township_a.pk)]


@pytest.mark.parametrize("level", ["county", "township", "village"])
def test_one_target_per_unit_indicator_and_year(client, admin_user, township_a, village_a, level):
    client.force_login(admin_user)
    data = {"year": 2024, "indicator": "returnees", "value": "30"}
    data |= {"county": {}, "township": {"township": township_a.pk}, "village": {"village": village_a.pk}}[level]
    assert client.post("/villages/targets/add/", data).status_code == 302
    response = client.post("/villages/targets/add/", data)
    assert response.status_code == 200
    assert "已经下达" in str(response.context["form"].errors)
    assert Target.objects.count() == 1
    assert client.post("/villages/targets/add/", data | {"year": 2025}).status_code == 302  # another year is another target


def test_wrong_values_are_named_next_to_the_field(client, admin_user, township_b, village_a):
    client.force_login(admin_user)
    response = client.post("/villages/targets/add/", {"year": 2024, "indicator": "survey_visits", "value": "2.5",
                                                      "village": village_a.pk})
    assert "整数" in str(response.context["form"].errors["value"])
    response = client.post("/villages/targets/add/", {"year": 2024, "indicator": "loans_amount", "value": "100",
                                                      "township": township_b.pk, "village": village_a.pk})
    assert "不属于所选镇" in str(response.context["form"].errors["village"])
    response = client.post("/villages/targets/add/", {"year": 2024, "indicator": "loans_amount", "value": "-1"})
    assert "value" in response.context["form"].errors
    assert not Target.objects.exists()


def test_township_staff_cannot_change_or_delete_their_township_s_own_target(client, staff_a, township_a, village_a,
                                                                          make_token):
    """By the pages, the REST API and the admin: a township's target is the county's to set."""
    own = target("loans_amount", 500000, township=township_a)
    client.force_login(staff_a)
    assert client.get(f"/villages/targets/{own.pk}/").status_code == 200  # read, yes
    page = client.get(f"/villages/targets/{own.pk}/").content.decode()
    assert f"/villages/targets/{own.pk}/edit/" not in page and f"/villages/targets/{own.pk}/delete/" not in page
    assert client.post(f"/villages/targets/{own.pk}/delete/").status_code in (403, 404)
    assert client.post(f"/villages/targets/{own.pk}/edit/", {"year": 2024, "indicator": "loans_amount",
                                                            "village": village_a.pk, "value": "1"}).status_code in (403, 404)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(township=township_a, read_only=False).key}")
    assert api.delete(f"/api/v1/villages/targets/{own.pk}/").status_code == 403  # readable, so not a 404
    assert api.patch(f"/api/v1/villages/targets/{own.pk}/", {"village": village_a.pk, "value": "1"},
                     format="json").status_code == 403
    created = api.post("/api/v1/villages/targets/", {"year": 2025, "indicator": "loans_amount", "township": township_a.pk,
                                                     "value": "1"}, format="json")
    assert created.status_code in (400, 403), created.content
    assert client.post("/admin/villages/target/add/", {"year": 2025, "indicator": "loans_amount",
                                                       "township": township_a.pk, "value": "1"}).status_code == 403
    assert client.post(f"/admin/villages/target/{own.pk}/delete/", {"post": "yes"}).status_code == 403
    own.refresh_from_db()
    assert (own.village_id, own.value) == (None, 500000)
    assert Target.objects.count() == 1
    # their villages' targets they set, by the API too
    mine = api.post("/api/v1/villages/targets/", {"year": 2025, "indicator": "loans_amount", "village": village_a.pk,
                                                  "value": "1000"}, format="json")
    assert mine.status_code == 201, mine.content
    assert Target.objects.get(pk=mine.json()["id"]).township == township_a


def test_township_staff_read_the_county_s_targets_but_do_not_change_them(client, staff_a, admin_user):
    county_target = target("returnees", 30)
    client.force_login(staff_a)
    assert client.get(f"/villages/targets/{county_target.pk}/").status_code == 200
    assert client.post(f"/villages/targets/{county_target.pk}/edit/", {"year": 2024, "indicator": "returnees",
                                                                       "value": "1"}).status_code in (403, 404)
    county_target.refresh_from_db()
    assert county_target.value == 30


# -- counting and the calendar --------------------------------------------------------------------
def test_schedule_is_the_share_of_the_year_gone_by():
    assert targets.schedule(2024, dt.date(2024, 6, 30)) == 49.7  # 182 of 366 days
    assert targets.schedule(2023, dt.date(2024, 6, 30)) == 100.0
    assert targets.schedule(2025, dt.date(2024, 6, 30)) == 0.0
    assert targets.schedule(2024, dt.date(2024, 12, 31)) == 100.0


@pytest.mark.parametrize("indicator,target_value,actual,expected", [
    ("loans_amount", 100, 60, "ahead"),       # 60% ≥ 49.7%
    ("loans_amount", 100, 40, "behind"),
    ("loans_amount", 100, 100, "done"),
    ("loans_amount", 100000, Decimal("99950"), "ahead"),  # 99.95%: not done, however it is rounded
    ("collective_income", 100, 0, "pending"),  # reported at the year's end: not judged before
    ("collective_income", 100, 120, "done"),
    ("loans_amount", 0, 0, "done"),  # nothing asked
    ("loans_amount", None, 40, "none"),
])
def test_status_compares_progress_with_the_schedule(indicator, target_value, actual, expected):
    assert targets.status(indicator, 2024, target_value, actual, as_of=AS_OF) == expected
    if indicator == "collective_income" and expected == "pending":
        assert targets.status(indicator, 2023, target_value, actual, as_of=AS_OF) == "behind"
    if expected in ("ahead", "behind"):
        assert targets.status(indicator, 2025, target_value, actual, as_of=AS_OF) == "not_started"


@override_settings(PORTAL_DATA_AS_OF=AS_OF)
def test_achievement_counts_the_year_s_records_of_each_unit(county_records, village_a, village_b, township_a, township_b):
    done = targets.achieved(2024)
    expected = {  # village A: 3 of each, village B: 1 of each; 2023's records are not counted
        "collective_income": (300000, 100000), "pairing_income": (3000, 1000), "loans_amount": (30000, 10000),
        "land_income": (15000, 5000), "survey_visits": (3, 1), "reserve_cadres": (3, 1), "returnees": (3, 1),
    }
    by_township = {t.pk: targets.achieved(2024, t.pk) for t in (township_a, township_b)}  # a township's: its villages
    for key, (a, b) in expected.items():
        assert {**by_township[township_a.pk][key]["villages"], **by_township[township_b.pk][key]["villages"]} == {
            village_a.pk: a, village_b.pk: b}, key
        assert done[key]["townships"] == {township_a.pk: a, township_b.pk: b}, key
        assert done[key]["county"] == a + b, key
    assert targets.achieved(2024, township_a.pk)["loans_amount"]["county"] == 30000


@override_settings(PORTAL_DATA_AS_OF=AS_OF)
def test_every_achievement_links_to_exactly_its_rows(client, official, county_records, township_a, village_a):
    """The county, a township, a village: the list behind each achievement holds the rows counted
    (their number, or the sum of the amount field)."""
    client.force_login(official)
    pages = ["/dashboard/targets/", f"/dashboard/targets/?township={township_a.pk}"]
    checked = 0
    for indicator in targets.INDICATORS:
        ind = targets.INDICATORS[indicator]
        for url in pages:
            response = client.get(f"{url}{'&' if '?' in url else '?'}indicator={indicator}")
            assert response.status_code == 200
            overview = next(i for i in response.context["indicators"] if i["key"] == indicator)
            links = [(overview["actual_url"], overview["actual"])]
            links += [(r["actual_url"], r["actual"]) for r in response.context["selected"]["rows"]]
            for link, value in links:
                listed = client.get(link)
                assert listed.status_code == 200, link
                assert listed.context["filterset"].is_valid(), (link, listed.context["filterset"].errors)
                rows = listed.context["page"].paginator.object_list
                got = rows.aggregate(s=Sum(ind.amount))["s"] or 0 if ind.amount else rows.count()
                assert Decimal(str(got)) == Decimal(str(value)), (link, got, value)
                checked += 1
    assert checked == 7 * (1 + 2 + 1 + 1)  # the county and its 2 townships, township A and its village


@override_settings(PORTAL_DATA_AS_OF=AS_OF)
def test_the_page_ranks_units_by_progress_and_says_who_is_behind(client, official, county_records, township_a, township_b,
                                                                 village_a):
    target("loans_amount", 80000)
    target("loans_amount", 40000, township=township_a)  # 30,000: 75%, ahead of 49.7%
    target("loans_amount", 50000, township=township_b)  # 10,000: 20%, behind
    client.force_login(official)
    response = client.get("/dashboard/targets/?year=2024&indicator=loans_amount")
    selected = response.context["selected"]
    assert (selected["target"], selected["actual"], selected["progress"], selected["status"]) == (80000, 40000, 50.0, "ahead")
    assert [(r["name"], r["rank"], r["progress"], r["status"]) for r in selected["rows"]] == [
        ("寅寺镇", 1, 75.0, "ahead"), ("南旺镇", 2, 20.0, "behind")]
    assert (selected["ahead_n"], selected["behind_n"]) == (1, 1)
    html = response.content.decode()
    assert "超序时进度" in html and "滞后序时进度" in html and "数据截至 2024-06-30" in html
    assert 'style="left: 49.7%"' in html  # the calendar's mark on the bars
    # the target links to the record of the target (not to its villages' targets)
    target("loans_amount", 7, village=village_a)
    cache.clear()
    selected = client.get("/dashboard/targets/?year=2024&indicator=loans_amount").context["selected"]
    listed = client.get(selected["rows"][0]["target_url"])
    assert [t.value for t in listed.context["page"].object_list] == [40000]


@override_settings(PORTAL_DATA_AS_OF=AS_OF)
def test_a_township_sees_its_villages_and_no_other_township(client, staff_a, county_records, township_a, township_b,
                                                             village_a):
    target("survey_visits", 5, township=township_a)
    target("survey_visits", 4, village=village_a)
    client.force_login(staff_a)
    response = client.get("/dashboard/targets/?indicator=survey_visits")
    assert response.status_code == 200 and response.context["township"] == township_a
    selected = response.context["selected"]
    assert (selected["target"], selected["actual"], selected["progress"]) == (5, 3, 60.0)
    assert [(r["name"], r["target"], r["actual"]) for r in selected["rows"]] == [("东石楼村", 4, 3)]
    assert selected["rows"][0]["url"] == f"/villages/villages/{village_a.pk}/profile/"
    assert client.get(f"/dashboard/targets/?township={township_b.pk}").status_code == 404
    assert response.context["townships"] is None  # no choice of township


@override_settings(PORTAL_DATA_AS_OF=AS_OF)
def test_the_dashboard_shows_the_year_s_targets_and_an_edit_shows_at_once(client, official, county_records, township_a):
    client.force_login(official)
    html = client.get("/").content.decode()
    assert 'id="targets-card"' in html and "2024年度目标" in html and "未下达" in html
    county_target = target("returnees", 8)
    html = client.get("/").content.decode()
    assert "50.0%" in html  # 4 of 8, fresh after the target was added
    county_target.value = 4
    county_target.save()
    assert "100.0%" in client.get("/").content.decode()


@override_settings(PORTAL_DATA_AS_OF=AS_OF)
def test_the_targets_page_costs_the_same_queries_whatever_the_size(client, official, county_records, township_a, village_a):
    client.force_login(official)
    with CaptureQueriesContext(connection) as small:
        client.get("/dashboard/targets/")
    for n in range(1, 20):
        village = Village.objects.create(township=township_a, code=f"370830104{300 + n}", name=f"新村{n}")
        records(village, 1, 2024, seq=10 + n)
        target("loans_amount", 1000, village=village)
    cache.clear()
    with CaptureQueriesContext(connection) as large:
        assert client.get("/dashboard/targets/").status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)
    assert len(large.captured_queries) <= 10


@pytest.mark.parametrize("query", ["year=%C2%B2", "year=abc", "township=abc", "township=%C2%B2", "indicator=nope", "year="])
def test_odd_addresses_are_answered_not_crashed_on(client, official, query):
    client.force_login(official)
    for page in ("/dashboard/targets/", "/dashboard/periods/"):
        assert client.get(f"{page}?{query}").status_code in (200, 404), (page, query)


def test_the_year_chooser_offers_the_years_with_targets(client, official, county):
    target("returnees", 3, year=2022)
    client.force_login(official)
    with override_settings(PORTAL_DATA_AS_OF=AS_OF):
        response = client.get("/dashboard/targets/?year=1999")
    assert response.context["years"] == [2024, 2022]
    assert response.context["year"] == 2024  # an unknown year falls back to the data's year
