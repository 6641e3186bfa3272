"""What the tiles say: a change against an earlier quarter as a leader reads it (+N, a percent from a
large enough base, 持平, nothing for a figure of a set year or batch); a township's dashboard shows
what the township has and its place among the county's townships; the targets page opens on an
indicator with records at the data date."""
import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.cache import cache

from alliances.models import Alliance, TaskForceUnit
from finance.models import AgriLoanReport
from talent.models import RecruitingStation
from tests.dashboard.test_targets import records
from villages.models import Village
from wenshang.dashboard import data as dash
from wenshang.dashboard import views

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


# -- the rule ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("value", "base", "unit", "text", "tone"), [
    (46, 46, "count", "持平", "flat"),  # a stock that did not move
    (0, 0, "count", "持平", "flat"),
    (46, 1, "count", "+45", "up"),  # a small base: the difference, never +4500.00%
    (217, 1, "count", "+216", "up"),
    (39, 34, "count", "+5", "up"),
    (3, 5, "count", "−2", "down"),
    (20, 0, "count", "+20", "up"),  # no base at all
    (1840, 1705, "count", "+7.9%", "up"),  # a base of 100 or more: the percent, one place
    (100, 120, "count", "−16.7%", "down"),
    (199903, 199900, "count", "+3", "up"),  # below 0.05%: the difference says more
    (24_900_000, 22_540_000, "yuan", "+10.5%", "up"),  # money from 100万元: the percent
    (1_042_000, 817_000, "yuan", "+22.50万元", "up"),  # below: the amount, as money reads
    (500_000_000, 0, "yuan", "+5.00亿元", "up"),
    (1221.42, 1107.05, "mu", "+10.3%", "up"),
    (12.5, 10, "mu", "+2.50亩", "up"),
])
def test_a_change_reads_as_a_leader_reads_it(value, base, unit, text, tone):
    got = views.change(value, base, unit)
    assert (got["text"], got["tone"]) == (text, tone)
    assert "%" not in got["text"] or Decimal(str(base)) >= views.PERCENT_FROM[unit]


@pytest.mark.parametrize(("value", "base", "unit"), [(5, None, "count"), (None, 5, "count"), (105.87, 100.0, "percent")])
def test_no_change_without_both_values_or_for_a_percentage(value, base, unit):
    assert views.change(value, base, unit) is None


def test_the_comparison_gives_the_tiles_their_words_and_none_to_a_set_year_or_batch(client, official, township_a):
    for day in (dt.date(2021, 2, 1), dt.date(2024, 2, 1), dt.date(2024, 5, 1)):
        Alliance.objects.create(name=f"联盟{day}", scope="township", township=township_a, founded_on=day)
    AgriLoanReport.objects.create(bank="农商银行", year=2021, quarter=1, balance=Decimal("100"))
    client.force_login(official)
    payload = client.get("/dashboard/compare/?period=2024Q2").json()
    alliances = payload["figures"]["alliances"]
    assert alliances["previous_change"] == {"text": "+1", "tone": "up", "css": "text-success"}
    assert alliances["pilot_change"]["text"] == "+2"  # 3 against 1: not +200.00%
    assert payload["figures"]["joint_committees"]["previous_change"]["text"] == "持平"
    for key in ("first_secretaries_2021", "first_secretaries_new", "returned_talents", "pairing_collective_income_2023"):
        assert key not in payload["figures"] and key in payload["not_compared"]  # a set year or batch: no change
    page = client.get("/dashboard/periods/?period=2024Q2").content.decode()
    assert 'data-tone="flat">持平<' in page and 'data-tone="up">+1<' in page
    assert "+4500" not in page and ".00%" not in page


# -- a township's dashboard -------------------------------------------------------------------------
def test_a_township_s_dashboard_shows_what_the_township_has(client, staff_a, township_a, township_b, village_a, village_b):
    TaskForceUnit.objects.create(name="县委组织部", is_lead=True, responsibility="牵头")
    RecruitingStation.objects.create(name="北京归雁工作站", city="北京", established_on=dt.date(2021, 1, 1))
    Village.objects.create(township=township_a, code="370830104202", name="西石楼村", tier="model")
    Alliance.objects.create(name="寅寺联盟", scope="township", township=township_a, founded_on=dt.date(2022, 1, 1))
    client.force_login(staff_a)
    response = client.get("/")
    html = response.content.decode()
    tiles = dict(re.findall(r'data-figure="([a-z_0-9]+)" data-value="([^"]*)"', html))
    for key in ("task_force_units", "recruiting_stations", "agri_loan_balance", "agri_loan_growth_pct"):
        assert key not in tiles  # county-only figures
    chain_tiles = {t["key"]: t["value"] for chain in response.context["chains"] for t in chain["tiles"]}
    assert chain_tiles["villages"] == 2 and chain_tiles["alliances"] == 1
    assert all(chain_tiles.values()), chain_tiles  # no tile of 0 …
    assert "共富联盟" not in response.context["absent"] and "乡村振兴合伙人" in response.context["absent"]  # … named once instead
    assert "本镇街暂无" in html
    for chart in response.context["charts"]:
        if not chart.get("pie"):
            assert not (chart["id"] == "tiers" and len(chart["categories"]) == 1), chart  # no single-bar chart
    tiers = next(c for c in response.context["charts"] if c["id"] == "tiers")
    assert tiers["title"] == "本镇街村党组织分类情况" and tiers["pie"]
    assert sorted(tiers["series"][0]["data"]) == [1, 1]
    peers = {p["key"]: p for p in response.context["peers"]}
    assert peers["model_share"]["rank"] == 1 and peers["model_share"]["of"] == 2
    assert "在全县各镇街中的位次" in html and "第1位（共2个）" in html
    county = views.charts(dash.get(None))
    assert next(c for c in county if c["id"] == "tiers")["stack"]  # the county keeps its bars by township


# -- the targets page --------------------------------------------------------------------------------
def test_the_targets_page_opens_on_an_indicator_counted_by_the_data_date(client, official, village_a, village_b):
    records(village_a, 3, 2024, seq=1)
    client.force_login(official)
    response = client.get("/dashboard/targets/")
    selected = response.context["selected"]
    assert selected["key"] != "collective_income" and not selected["yearly"]  # reported at year end: all 0 in June
    assert selected["actual"] > 0
    assert client.get("/dashboard/targets/?indicator=collective_income").context["selected"]["key"] == "collective_income"
