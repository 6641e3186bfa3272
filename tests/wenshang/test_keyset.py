"""The big lists page by keyset (``wenshang.web.paging``, ``ModelViews.big``): links to the next and
the previous page carry a cursor, a page 1,000 deep costs what the first costs (the same queries,
no OFFSET), the size of an unfiltered big list is never a COUNT(*) over the table, the links walk
the rows forwards and backwards in the list's order (ties in the sorted column included), a sort
by any column still works, and small lists keep their numbered pages."""
import datetime as dt
import html
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import wenshang.urls  # noqa: F401  (loads every app's views, which fill REGISTRY)
from finance.models import Homestead
from grids.models import Household
from tests.factories import make
from tests.factory_helpers import valid_id
from villages.models import Village
from wenshang.web import paging
from wenshang.web.paging import KeysetPaginator, ordering_keys
from wenshang.web.portal import REGISTRY

pytestmark = pytest.mark.django_db

LIST = "/finance/homesteads/"
AREAS = [Decimal("120.00"), Decimal("95.50"), Decimal("120.00"), Decimal("80.25")]  # ties, across page ends


def parcels(village, n, start=0):
    """``n`` parcels of ``village``: four areas only (ties), every fifth surveyed later, every
    seventh without a year built (NULL)."""
    Homestead.objects.bulk_create(
        Homestead(
            village=village, parcel_code=f"{village.code}JC{start + i:05d}", holder_name=f"户主{i}",
            holder_id_number=valid_id(f"37083019800101{i % 1000:03d}"), area=AREAS[i % 4],
            use="idle" if i % 3 == 0 else "occupied", surveyed_on=dt.date(2023, 5, 1 + (i % 5 == 0)),
            built_year=None if i % 7 == 0 else 1990 + i % 11,
        )
        for i in range(n)
    )


@pytest.fixture
def county_parcels(village_a, village_b):
    parcels(village_a, 130)
    parcels(village_b, 45, start=500)
    return village_a, village_b


def links(response):
    """{"next": url, "previous": url, "first": url} of a keyset page's navigation."""
    found = re.findall(r'<a class="page-link" href="([^"]+)"[^>]*data-page="(\w+)"', response.content.decode())
    return {name: html.unescape(href) for href, name in found}


def walk(client, url, user=None):
    """Every page from ``url`` by the next links, then back by the previous links: (forward pages,
    backward pages), each a list of the pages' pks."""
    forward, response = [], client.get(url)
    while True:
        assert response.status_code == 200
        forward.append([obj.pk for obj in response.context["page"].object_list])
        nav = links(response)
        if "next" not in nav:
            break
        response = client.get(LIST + nav["next"] if nav["next"].startswith("?") else nav["next"])
    backward = [forward[-1]]
    while "previous" in links(response):
        response = client.get(LIST + links(response)["previous"])
        backward.append([obj.pk for obj in response.context["page"].object_list])
    return forward, backward[::-1]


# -- links, order, ties ------------------------------------------------------------------------------
@pytest.mark.parametrize("sort, ordering", [
    ("", ["parcel_code"]),
    ("area", ["area", "pk"]),
    ("-area", ["-area", "pk"]),
    ("village", ["village__code", "pk"]),
    ("-village", ["-village__code", "pk"]),
    ("-surveyed_on", ["-surveyed_on", "pk"]),
    ("use", ["use", "pk"]),
])
def test_the_links_walk_every_row_forwards_and_backwards_in_the_list_order(client, official, county_parcels, sort, ordering):
    client.force_login(official)
    forward, backward = walk(client, f"{LIST}?sort={sort}" if sort else LIST)
    expected = list(Homestead.objects.order_by(*ordering).values_list("pk", flat=True))
    assert [pk for page in forward for pk in page] == expected  # every row once, in order, across the ties
    assert [len(page) for page in forward] == [50, 50, 50, 25]
    assert backward == forward  # the previous links give the same pages back


def test_a_sort_keeps_its_filters_and_the_cursor_its_sort(client, official, county_parcels):
    village_a, _ = county_parcels
    client.force_login(official)
    first = client.get(LIST, {"village": village_a.pk, "sort": "-area"})
    nav = links(first)
    assert set(nav) == {"next"} and f"village={village_a.pk}" in nav["next"] and "sort=-area" in nav["next"]
    second = client.get(LIST + nav["next"])
    assert second.context["page"].number == 2 and {"first", "previous", "next"} == set(links(second))
    assert "cursor" not in links(second)["first"] and f"village={village_a.pk}" in links(second)["first"]
    # the column headers sort again from the first page: no cursor in their links
    assert all("cursor" not in html.unescape(h) for h in re.findall(r'<th scope="col"><a [^>]*href="([^"]+)"', second.content.decode()))
    # a cursor made for one sort and sent with another, or edited by hand, gives the first page
    cursor = re.search(r"cursor=([^&]+)", nav["next"]).group(1)
    for url in (f"{LIST}?sort=area&cursor={cursor}", f"{LIST}?cursor={cursor}", f"{LIST}?cursor=abc", f"{LIST}?cursor=e30"):
        response = client.get(url)
        assert response.status_code == 200 and response.context["page"].number == 1, url


def test_no_last_page_link_and_no_numbered_pages(client, official, county_parcels):
    client.force_login(official)
    page = client.get(LIST).content.decode()
    nav = page.split('aria-label="分页"')[1].split("</nav>")[0]
    assert not re.search(r"[?&;]page=", nav) and "第 1 页" in nav and "下一页" in nav and "共" not in nav
    assert "共 175 条记录" in page  # few rows: counted exactly


def test_nulls_sort_last_ascending_and_first_descending_on_every_database(county_parcels):
    qs = Homestead.objects.all()
    for ordering in (["built_year"], ["-built_year"], ["village", "-built_year"]):
        paginator = KeysetPaginator(qs, 7, ordering)
        seen, page = [], paginator.page()
        while True:
            seen += [obj.pk for obj in page.object_list]
            if not page.has_next():
                break
            page = paginator.page(page.next_cursor)
        years = {obj.pk: obj.built_year for obj in qs}
        assert len(seen) == len(set(seen)) == qs.count()
        order = [years[pk] for pk in seen]
        nulls = [i for i, y in enumerate(order) if y is None]
        if ordering == ["built_year"]:
            assert nulls == list(range(len(order) - len(nulls), len(order)))  # last
            assert order[: -len(nulls)] == sorted(order[: -len(nulls)])
        elif ordering == ["-built_year"]:
            assert nulls == list(range(len(nulls)))  # first
        # and backwards from the last page, the same pages
        back = []
        while True:
            back = [obj.pk for obj in page.object_list] + back
            if not page.has_previous():
                break
            page = paginator.page(page.previous_cursor)
        assert back == seen, ordering


def test_ordering_keys_follow_related_records_and_end_on_a_unique_column():
    assert [k.path for k in ordering_keys(Homestead, ["parcel_code"])] == ["parcel_code"]  # unique: no tiebreaker
    assert [k.path for k in ordering_keys(Homestead, ["village", "parcel_code"])] == ["village__code", "parcel_code"]
    assert [(k.path, k.desc) for k in ordering_keys(Household, ["grid", "-credit_points"])] == [
        ("grid__code", False), ("credit_points", True), ("id", False)]
    assert [(k.path, k.desc) for k in ordering_keys(Homestead, ["-village"])] == [("village__code", True), ("id", False)]
    with pytest.raises(ValueError):
        ordering_keys(Homestead, ["?"])


@pytest.mark.parametrize("plural", sorted(p for p, cfg in REGISTRY.items() if cfg.big))
def test_every_big_list_walks_its_rows_in_its_own_order(client, admin_user, township_a, plural, monkeypatch):
    """Each big entity's list, two rows a page: every record once, in the model's ordering."""
    cfg = REGISTRY[plural]
    monkeypatch.setattr(cfg, "paginate_by", 2)
    made = [make(cfg.model, township_a, n) for n in range(5)]
    client.force_login(admin_user)
    url = cfg.list_url()
    seen, response = [], client.get(url)
    while True:
        seen += [obj.pk for obj in response.context["page"].object_list]
        nav = links(response)
        if "next" not in nav:
            break
        response = client.get(url + nav["next"])
    keys = ordering_keys(cfg.model, list(cfg.list_ordering or cfg.model._meta.ordering))
    expected = list(cfg.queryset(admin_user).order_by(*(k.order() for k in keys)).values_list("pk", flat=True))
    assert seen == expected and {obj.pk for obj in made} <= set(seen), plural
    if not any(k.nullable for k in keys):  # the order Django's own order_by gives (NULLs aside, which databases place differently)
        assert seen == list(cfg.queryset(admin_user).order_by(*cfg.model._meta.ordering, "pk").values_list("pk", flat=True))


# -- what a page costs --------------------------------------------------------------------------------
def deep_cursor(n_page):
    """The cursor of page ``n_page`` of the parcels (as its previous page's next link makes it)."""
    paginator = KeysetPaginator(Homestead.objects.all(), 50, ["village", "parcel_code"])  # the list's order
    row = Homestead.objects.order_by("parcel_code")[(n_page - 1) * 50 - 1]
    return paginator.cursor(paginator.values_of(row), "n", n_page)


def test_a_deep_page_costs_the_queries_of_the_first_and_no_offset_nor_count(client, official, village_a, monkeypatch):
    parcels(village_a, 1200)
    monkeypatch.setattr(paging, "EXACT_LIMIT", 100)  # the list counts as big: 1,200 rows over a limit of 100
    client.force_login(official)
    client.get(LIST)  # warm up (session, content types)
    with CaptureQueriesContext(connection) as first:
        response = client.get(LIST)
    assert response.context["page"].number == 1
    cursor = deep_cursor(20)
    with CaptureQueriesContext(connection) as deep:
        response = client.get(LIST, {"cursor": cursor})
    page = response.context["page"]
    assert page.number == 20 and [o.parcel_code for o in page.object_list][0] == f"{village_a.code}JC00950"
    assert len(first.captured_queries) == len(deep.captured_queries), [q["sql"] for q in deep.captured_queries]
    print(f"\nparcel list, {Homestead.objects.count()} rows: page 1 and page 20 cost {len(first.captured_queries)} queries each")
    for captured in (first, deep):
        for query in captured.captured_queries:
            sql = query["sql"].upper()
            assert " OFFSET " not in sql, sql
            if "FINANCE_HOMESTEAD" in sql and "COUNT(" in sql:
                # never the whole table: a count reads at most EXACT_LIMIT + 1 rows (and none at all
                # once the table has statistics, test_postgresql_gives_the_size_of_a_big_table…)
                assert "LIMIT 101" in sql, sql
    shown = re.search(r'id="list-total">(.*?)</div>', response.content.decode(), re.S).group(1).strip()
    assert shown == ("超过 100 条记录" if connection.vendor != "postgresql" else shown)


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgresql_gives_the_size_of_a_big_table_from_its_statistics(client, official, village_a, village_b, monkeypatch):
    parcels(village_a, 1200)
    parcels(village_b, 300, start=2000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE finance_homestead")
    monkeypatch.setattr(paging, "EXACT_LIMIT", 100)
    client.force_login(official)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST)
    assert not [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert "约 1,500 条记录" in response.content.decode()
    # a filtered list the planner expects to be large: its estimate, no count either
    filtered = client.get(LIST, {"village": village_a.pk}).content.decode()
    assert re.search(r"约 1,[0-9]00 条记录", filtered), re.search(r'id="list-total">(.*?)</div>', filtered, re.S).group(1)


def test_a_filtered_list_of_few_rows_is_counted_exactly(client, official, county_parcels):
    _, village_b = county_parcels
    client.force_login(official)
    response = client.get(LIST, {"village": village_b.pk})
    assert "共 45 条记录" in response.content.decode() and response.context["total"].exact
    assert response.context["page"].paginator.count == 45  # code that asks gets the exact count


def test_township_staff_page_through_their_own_parcels_only(client, staff_a, county_parcels):
    village_a, village_b = county_parcels
    client.force_login(staff_a)
    forward, _ = walk(client, LIST)
    seen = [pk for page in forward for pk in page]
    assert set(Homestead.objects.filter(pk__in=seen).values_list("village", flat=True)) == {village_a.pk} and len(seen) == 130


def test_small_lists_keep_numbered_pages(client, official, township_a):
    Village.objects.bulk_create(Village(township=township_a, code=f"{township_a.code}{i:03d}", name=f"村{i}") for i in range(60))
    client.force_login(official)
    page = client.get(reverse("villages:village_list"), {"kind": "village"}).content.decode()
    assert "第 1 页 / 共 2 页" in page and "?kind=village&amp;page=2" in page and "共 60 条记录" in page
