"""The dashboards on the demo county (``demo_county``: built once per test run): every figure equals
the figures module (so the article), and every figure's link opens exactly the rows behind it."""
import re
from decimal import Decimal
from html import unescape

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from villages.models import Township, Village
from wenshang.dashboard import data as dash
from wenshang.dashboard import views
from wenshang.kernel.models import User
from wenshang.web import figures

pytestmark = pytest.mark.slow

TILE = re.compile(r'<a class="dash-figure[^"]*" href="([^"]*)" data-figure="([^"]+)" data-value="([^"]*)"')


@pytest.fixture
def demo(demo_county):
    return demo_county


@pytest.fixture
def demo_db(demo, db):
    cache.clear()
    return demo


@pytest.fixture
def leader(demo_db):
    return User.objects.get(username="leader")


@pytest.fixture
def yinsi(demo_db):
    return Township.objects.get(code="370830104")


def listed(client, url):
    """The rows a list page shows (its whole filtered queryset), as the page's paginator has them."""
    response = client.get(url)
    assert response.status_code == 200, url
    filterset = response.context["filterset"]
    if filterset.is_bound:  # an invalid filter would show every row
        assert filterset.is_valid(), (url, filterset.errors)
    else:
        assert "?" not in url
    return response.context["page"].paginator


def matches(client, url, value, drill_agg):
    paginator = listed(client, url)
    if drill_agg.startswith("sum:"):
        field = drill_agg.split(":", 1)[1]
        total = paginator.object_list.aggregate(s=Sum(field))["s"] or 0
        assert Decimal(str(total)) == Decimal(str(value)), (url, total, value)
    else:
        assert paginator.count == value, (url, paginator.count, value)


def test_one_statement_gives_every_figure_as_compute_does(demo_db, yinsi):
    with CaptureQueriesContext(connection) as queries:
        values = figures.drill_values()
    assert len(queries.captured_queries) == 1
    expected = figures.compute()
    assert set(expected) - set(values) == {"agri_loan_balance", "agri_loan_growth_pct"}
    for key, value in values.items():
        assert value == expected[key], key
    township = figures.drill_values(yinsi)
    for key, value in figures.compute(township=yinsi).items():
        if key in township:
            assert township[key] == value, key


@pytest.mark.parametrize("key", sorted(figures.drills()))
def test_every_figure_links_to_exactly_its_rows(client, leader, yinsi, key):
    """The county figure's list (count or sum) and the same for one township, as its staff open it."""
    client.force_login(leader)
    drill = figures.drills()[key]
    county = figures.compute(keys=[key])[key]
    matches(client, views.drill_url(key), county, drill.agg)
    if key in figures.COUNTY_ONLY:
        return
    value = figures.compute(township=yinsi, keys=[key])[key]
    matches(client, views.drill_url(key, yinsi.pk), value, drill.agg)
    client.force_login(User.objects.get(username="t370830104"))
    matches(client, views.drill_url(key, yinsi.pk), value, drill.agg)


def test_the_county_dashboard_shows_every_figure_of_the_article_with_its_link(client, leader):
    client.force_login(leader)
    html = client.get("/").content.decode()
    tiles = {key: (unescape(url), value) for url, key, value in TILE.findall(html)}
    expected = figures.compute()
    for key, value in expected.items():
        url, shown = tiles[key]
        assert Decimal(shown) == Decimal(str(value)), key
        if key in figures.drills():
            with views.county_links(leader.county_id):  # the leader's county page links its county's lists
                assert url == views.drill_url(key), key
            assert url.endswith(f"county={leader.county_id}"), key
    assert Decimal(tiles["agri_loan_growth_pct"][1]) == Decimal("105.87")
    assert "数据截至 2024-06-30" in html or "Data as of 2024-06-30" in html


def test_every_derived_figure_that_counts_links_to_its_rows(client, leader, yinsi):
    client.force_login(leader)
    for scope in ("/", f"/dashboard/townships/{yinsi.pk}/"):
        html = client.get(scope).content.decode()
        tiles = [(unescape(url), key, value) for url, key, value in TILE.findall(html)]
        derived = [t for t in tiles if t[1] not in figures.catalogue()]
        assert len(derived) >= 15
        checked = 0
        for url, key, value in derived:
            if key.endswith("_share") or key.endswith("_coverage") or key.endswith("per_village"):
                continue  # a ratio: its link shows the numerator's rows
            agg = "sum:amount" if key.endswith("_amount") or key == "collective_income" else "count"
            matches(client, url, Decimal(value) if "." in value else int(value), agg)
            checked += 1
        assert checked >= 12


def test_derived_figures_are_computed_from_the_records(client, leader):
    client.force_login(leader)
    html = client.get("/").content.decode()
    tiles = {key: value for _, key, value in TILE.findall(html)}
    villages = Village.objects.count()
    assert int(tiles["tier_model"]) + int(tiles["tier_excellence"]) + int(tiles["tier_foundation"]) == villages
    assert Decimal(tiles["joint_committee_share"]) == (Decimal(211) * 100 / villages).quantize(Decimal("0.01"))
    assert int(tiles["tier_model"]) == Village.objects.filter(tier="model").count()


def test_period_table_links_open_the_rows_of_the_period(client, leader):
    client.force_login(leader)
    response = client.get("/?period=2023Q4")
    rows = {r["key"]: r for r in response.context["period_rows"]}
    matches(client, rows["loans_granted"]["url"], rows["loans_granted"]["value"], "count")
    matches(client, rows["loans_amount"]["url"], rows["loans_amount"]["value"], "sum:amount")
    matches(client, rows["villages_visited"]["url"], rows["villages_visited"]["value"], "count")
    matches(client, rows["agri_loan_balance"]["url"], rows["agri_loan_balance"]["value"], "sum:balance")
    matches(client, rows["collective_income"]["url"], rows["collective_income"]["value"], "sum:amount")
    assert response.context["period"] == "2023Q4"
    assert rows["collective_income"]["value"] == dash.get()["incomes"][-1]["total"]
    # the latest quarter against the pilot's first: the article's growth of the agriculture loan balance
    latest = {r["key"]: r for r in client.get("/").context["period_rows"]}
    assert latest["agri_loan_balance"]["pilot_growth"] == 105.87


def test_dashboard_query_count_is_fixed(client, leader, yinsi):
    client.force_login(leader)
    # a township's has no banks' reports and one query for its place among the county's townships
    # (no change log: the cache key holds the scopes' versions, kept in the cache; the user's county and
    # city come with the user; one for the closed quarters among those shown)
    for url, expected, warm_expected in (("/", 14, 2), (f"/dashboard/townships/{yinsi.pk}/", 15, 3)):
        cache.clear()
        with CaptureQueriesContext(connection) as cold:
            assert client.get(url).status_code == 200
        with CaptureQueriesContext(connection) as warm:
            assert client.get(url).status_code == 200
        assert len(cold.captured_queries) == expected, (url, len(cold.captured_queries), len(warm.captured_queries))
        # session and user (with their county and city); for a township's, the township checked against
        # the user's scope and its county: no query for the cache key
        assert len(warm.captured_queries) == warm_expected, url


def test_map_data_of_the_whole_county_is_under_200_kb(client, leader):
    client.force_login(leader)
    response = client.get("/dashboard/map/data/")
    payload = response.json()
    assert len(response.content) < 200 * 1024
    towns = [dict(zip(payload["township_fields"], t)) for t in payload["townships"]]
    assert len(towns) == 15 and sum(t["villages"] for t in towns) == Village.objects.count()
    assert sum(t["parcels"] for t in towns) == figures.compute(keys=["homestead_parcels"])["homestead_parcels"]
    assert len(payload["zones"]) == figures.compute(keys=["joint_committees"])["joint_committees"]
    placed = 0
    for town in towns:  # each township's villages, as the map loads them when zoomed in
        villages = client.get(f"/dashboard/map/data/?township={town['id']}").json()
        fields = villages["fields"]
        assert len(villages["villages"]) == town["villages"]
        assert sum(v[fields.index("parcels")] for v in villages["villages"]) == town["parcels"]
        placed += sum(v[fields.index("lat")] is not None for v in villages["villages"])
    assert placed == Village.objects.count()


def test_the_ranking_leads_from_county_to_township_to_village_profile(client, leader, yinsi):
    client.force_login(leader)
    county = client.get("/").context
    row = next(r for r in county["ranking"] if r["pk"] == yinsi.pk)
    township = client.get(row["url"])
    assert township.status_code == 200 and township.context["township"] == yinsi
    ranking = township.context["ranking"]
    assert len(ranking) == Village.objects.filter(township=yinsi).count()
    assert [r["rank"] for r in ranking] == list(range(1, len(ranking) + 1))
    incomes = [r["income"] for r in ranking]
    assert incomes == sorted(incomes, reverse=True)
    profile = client.get(ranking[0]["url"])
    assert profile.status_code == 200 and profile.context["village"].pk == ranking[0]["pk"]
    matches(client, ranking[0]["parcels_url"], ranking[0]["parcels_n"], "count")
    assert dash.get(yinsi.pk)["ranking"]  # the same data from the cache


def test_figures_at_the_data_date_equal_the_figures_and_earlier_ones_are_smaller(demo_db, yinsi):
    import datetime as dt

    now = figures.drill_values()
    at = figures.drill_values_as_of(dt.date(2024, 6, 30))
    assert set(at) == set(figures.as_of_conditions())
    assert {k: v for k, v in at.items() if v != now[k]} == {}
    pilot = figures.drill_values_as_of(dt.date(2021, 3, 31))
    assert all(pilot[k] <= at[k] for k in at)
    assert pilot["homestead_parcels"] < at["homestead_parcels"] and pilot["alliances"] < at["alliances"]
    township = figures.drill_values_as_of(dt.date(2024, 6, 30), yinsi)
    current = figures.drill_values(yinsi)
    assert {k: v for k, v in township.items() if v != current[k]} == {}


def test_the_comparison_gives_each_figure_its_growth(client, leader, yinsi):
    client.force_login(leader)
    client.get("/")  # the data are cached by the page
    with CaptureQueriesContext(connection) as queries:
        payload = client.get("/dashboard/compare/?period=2024Q2").json()
    # session, user (with their county), three statements (of the aggregates), the closed quarters' frozen figures
    assert len(queries.captured_queries) == 6
    row = payload["figures"]["homestead_parcels"]
    assert row["value"] == 199900
    assert row["pilot_growth"] == figures.growth_pct(199900, row["pilot"])
    assert payload["period"] == "2024Q2"
    client.force_login(User.objects.get(username="t370830104"))
    mine = client.get("/dashboard/compare/").json()["figures"]
    assert mine["homestead_parcels"]["value"] == figures.compute(township=yinsi, keys=["homestead_parcels"])["homestead_parcels"]
    other = Township.objects.exclude(pk=yinsi.pk).first()
    assert client.get(f"/dashboard/compare/?township={other.pk}").status_code == 404


def test_a_click_on_a_chart_opens_the_records_behind_the_value(client, leader, yinsi):
    client.force_login(leader)
    for scope in ("/", f"/dashboard/townships/{yinsi.pk}/"):
        charts = {c["id"]: c for c in client.get(scope).context["charts"]}
        for chart_id, agg in (("tiers", "count"), ("fs_projects", "count"), ("income", "sum:amount"),
                              ("pairing", "count")):
            for series in charts[chart_id]["series"]:
                for value, url in zip(series["data"], series.get("links") or []):
                    if chart_id == "pairing":
                        paginator = listed(client, url)
                        assert paginator.object_list.aggregate(s=Sum("jobs_added"))["s"] == value, url
                    else:
                        matches(client, url, value, agg)
        loans = charts["loans"]
        last = len(loans["categories"]) - 1
        for series in loans["series"]:
            matches(client, series["links"][last], series["data"][last], "sum:amount")


def test_every_compared_value_links_to_the_rows_it_counts_as_they_stood(client, leader, yinsi):
    """The page of every figure by period: each value (the quarter's, the quarter before, the pilot's
    start) opens the list of exactly the rows it counts, as they stood at the end of that quarter."""
    client.force_login(leader)
    for url, least in (("/dashboard/periods/?period=2023Q4", 37), (f"/dashboard/periods/?period=2023Q4&township={yinsi.pk}", 34)):
        response = client.get(url)
        assert response.status_code == 200
        rows = [r for chain in response.context["chains"] for r in chain["rows"]]
        compared = [r for r in rows if r["compared"]]
        assert len(compared) >= least, url
        assert all(r["reason"] for r in rows if not r["compared"])
        checked = 0
        for row in compared:
            agg = figures.drills()[row["key"]].agg if row["key"] in figures.drills() else "sum:balance"
            for name in ("value", "previous", "pilot"):
                if row[f"{name}_url"]:
                    matches(client, row[f"{name}_url"], row[name], agg)
                    checked += 1
        assert checked >= 3 * least - 5, url
    county = {r["key"]: r for chain in client.get("/dashboard/periods/").context["chains"] for r in chain["rows"]}
    assert county["agri_loan_balance"]["pilot_growth"] == 105.87  # the article's growth, at the latest quarter
    assert not county["villages"]["compared"] and not county["agri_loan_growth_pct"]["compared"]


def test_a_past_value_s_list_says_so_and_keeps_it_through_filters_and_exports(client, leader):
    client.force_login(leader)
    base = views.drill_url("homestead_parcels")
    url = f"{base}{'&' if '?' in base else '?'}figure=homestead_parcels&as_of=2021-03-31"
    response = client.get(url)
    html = response.content.decode()
    assert 'id="as-of-notice"' in html and "2021-03-31" in html
    assert 'name="as_of" value="2021-03-31"' in html  # the filter form keeps it
    shown = response.context["page"].paginator.count
    assert shown == dash.comparison(None, (2024, 2), (2021, 1))["homestead_parcels"]["pilot"] < 199900
    from finance.models import Homestead

    assert shown == Homestead.objects.filter(surveyed_on__lte="2021-03-31").count()
    export = client.get(reverse("export_csv", args=["homesteads"]) + "?figure=homestead_parcels&as_of=2021-03-31")
    assert export.status_code == 200
    lines = b"".join(export.streaming_content if export.streaming else [export.content]).decode("utf-8-sig").strip().splitlines()
    assert len(lines) - 1 == shown
    # an unknown figure, or one not counted from these rows, changes nothing
    assert client.get(views.list_url("homesteads", [("figure", "alliances"), ("as_of", "2021-03-31")])).context[
        "page"].paginator.count == 199900
