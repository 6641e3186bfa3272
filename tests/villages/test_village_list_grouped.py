"""The villages list by township: unfiltered, a county's (a city's) villages are not one list of
3,600 rows but its townships, each with its villages by tier, opening on demand (Bootstrap
collapse, htmx fetching the township's rows); without JavaScript a township is a link to its
list. A filter, a search or a sort gives the usual list."""
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from villages.models import County, Township, Village

pytestmark = pytest.mark.django_db

URL = "/villages/villages/"


@pytest.fixture
def villages(township_a, township_b, village_a, village_b):
    Village.objects.bulk_create(Village(township=township_a, code=f"{township_a.code}{i:03d}", name=f"甲{i}村", tier="model")
                                for i in range(40))
    Village.objects.bulk_create(Village(township=township_b, code=f"{township_b.code}{i:03d}", name=f"乙{i}村") for i in range(12))
    return township_a, township_b


def test_the_county_sees_its_townships_with_their_villages_by_tier_not_the_villages(client, official, villages):
    township_a, township_b = villages
    client.force_login(official)
    response = client.get(URL)
    html = response.content.decode()
    assert response.context["grouped"] and [(t.name, t.n) for t in response.context["townships"]] == [("南旺镇", 13), ("寅寺镇", 41)]
    a = next(t for t in response.context["townships"] if t.pk == township_a.pk)
    assert [n for _, n in a.tiers] == [Village.objects.filter(township=township_a, tier=tier).count()
                                       for tier in ("foundation", "excellence", "model")]
    assert sum(n for _, n in a.tiers) == 41
    assert "甲1村" not in html and "东石楼村" not in html  # no village row on the page
    assert "共 54 条记录" in html and "2 个镇（街道）" in html and "41 个村（社区）" in html
    head = re.search(rf'<a class="accordion-button[^>]*href="\?township={township_a.pk}"[^>]*>', html).group(0)
    assert f'data-bs-target="#township-{township_a.pk}"' in head  # a collapse; without JavaScript a link
    assert f'hx-get="?township={township_a.pk}"' in html and 'hx-trigger="show.bs.collapse once"' in html
    assert "vendor/htmx-2.0.11/htmx.min.js" in html and "vendor/bootstrap-5.3.9" in html
    # the list the page stands for, for code that asks (a dashboard figure's link lands here): every village
    assert response.context["page"].paginator.count == 54 and response.context["rows"] == []


def test_a_township_s_villages_come_on_demand(client, official, villages):
    township_a, township_b = villages
    client.force_login(official)
    rows = client.get(URL, {"township": township_b.pk}, HTTP_HX_REQUEST="true")
    html = rows.content.decode()
    assert rows.status_code == 200 and "<html" not in html and "HX-Request" in rows["Vary"]
    assert html.count("<tr>") == 13 + 1 and "乙11村" in html and "甲1村" not in html and "南旺村" in html
    assert f'href="/villages/villages/{Village.objects.get(name="乙3村").pk}/"' in html
    # the same address without htmx: the township's list page (filters, sort, export)
    page = client.get(URL, {"township": township_b.pk})
    assert "<html" in page.content.decode() and not page.context.get("grouped")
    assert page.context["page"].paginator.count == 13


def test_township_staff_get_their_list_and_no_other_township_s_rows(client, staff_a, villages):
    township_a, township_b = villages
    client.force_login(staff_a)
    page = client.get(URL)
    assert not page.context.get("grouped") and page.context["page"].paginator.count == 41  # one township: the list
    assert client.get(URL, {"township": township_b.pk}, HTTP_HX_REQUEST="true").status_code == 404


def test_a_search_a_filter_or_a_sort_gives_the_list(client, official, villages):
    client.force_login(official)
    for params in ({"q": "甲1"}, {"tier": "model"}, {"sort": "-name"}, {"view": "list"}):
        response = client.get(URL, params)
        assert not response.context.get("grouped") and "rows" in response.context, params
    assert "全部村（社区）列表" in client.get(URL).content.decode()


def test_the_grouped_page_stays_small_and_its_queries_fixed_for_a_city(client, official, county, villages):
    client.force_login(official)
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    other = County.objects.create(code="370881", name="曲阜市")
    for t in range(40):
        township = Township.objects.create(county=other, code=f"370881{t:03d}", name=f"第{t}镇")
        Village.objects.bulk_create(Village(township=township, code=f"{township.code}{i:03d}", name=f"{t}镇{i}村") for i in range(90))
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL)
    html = response.content.decode()
    print(f"\nthe villages page, {Village.objects.count()} villages in {Township.objects.count()} townships: "
          f"{len(response.content) / 1024:.1f} KB, {len(many.captured_queries)} queries")
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(response.content) < 120 * 1024 and "共 3,654 条记录" in html or "共 3654 条记录" in html
    assert "汶上县" in html and "曲阜市" in html  # by county, when there are several
