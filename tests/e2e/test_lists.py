"""Lists that stay usable at a city's size, in the browser: the villages open by township (a
Bootstrap collapse whose rows htmx fetches), a village is chosen in a list's filter by typing its
name (and by its code typed where JavaScript does not run), and the keyset links of a big list go
forwards and back."""
import datetime as dt
import re

import pytest

from finance.models import Homestead
from tests.conftest import PASSWORD
from tests.factory_helpers import valid_id
from villages.models import Village
from wenshang.kernel.choices import Role

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def county_lists(township_a, township_b, village_a, village_b):
    Village.objects.bulk_create(Village(township=township_a, code=f"{township_a.code}{i:03d}", name=f"甲{i}村") for i in range(30))
    Village.objects.bulk_create(Village(township=township_b, code=f"{township_b.code}{i:03d}", name=f"乙{i}村") for i in range(8))
    for n in range(60):
        Homestead.objects.create(
            village=village_a, parcel_code=f"{village_a.code}JC{n:05d}", holder_name=f"户主{n}",
            holder_id_number=valid_id(f"37083019800101{n:03d}"), area="100.00", use="occupied", surveyed_on=dt.date(2023, 5, 1))
    Homestead.objects.create(
        village=village_b, parcel_code=f"{village_b.code}JC00001", holder_name="南旺户主", holder_id_number=valid_id("37083019800101999"),
        area="100.00", use="occupied", surveyed_on=dt.date(2023, 5, 1))
    return township_a, township_b, village_a, village_b


def log_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/")


def shown(page):
    return page.locator("#list-total").inner_text()


def test_villages_by_township_a_village_typed_and_keyset_links(live_server, browser, page, make_user, county_lists):
    township_a, township_b, village_a, village_b = county_lists
    make_user("county_official", role=Role.OFFICIAL)
    base = live_server.url
    log_in(page, base, "county_official")

    # The villages: the townships, a township's villages opened under it
    page.goto(f"{base}/villages/villages/")
    assert page.locator(".accordion-item").count() == 2 and page.locator("table").count() == 0
    page.click(f"#township-head-{township_a.pk} a")
    page.wait_for_selector(f"#township-{township_a.pk} table tbody tr")
    rows = page.locator(f"#township-{township_a.pk} table tbody tr")
    assert rows.count() == 31 and "东石楼村" in page.locator(f"#township-{township_a.pk}").inner_text()
    assert page.locator(f"#township-{township_b.pk}.show").count() == 0  # the other stays closed, not fetched
    page.click(f"#township-head-{township_a.pk} a")  # closes again
    page.wait_for_selector(f"#township-{township_a.pk}:not(.show)", state="attached")

    # The parcels: a village chosen by typing its name
    page.goto(f"{base}/finance/homesteads/")
    assert page.locator("input[name=village]").get_attribute("type") == "hidden"
    box = page.locator("#id_village_lookup")
    box.fill("东石")
    page.wait_for_selector("[role=option]")
    page.locator("[role=option]", has_text="东石楼村（寅寺镇）").click()
    page.locator("form[role=search] button[type=submit]").click()
    page.wait_for_url(re.compile(rf"village={village_a.pk}"))
    assert shown(page) == "共 60 条记录" and page.locator("#id_village_lookup").input_value() == "东石楼村（寅寺镇）"

    # Its pages by keyset: next, then previous, then the first page
    first = page.locator("table.table-list tbody tr td a").first.inner_text()
    page.click("a[data-page=next]")
    page.wait_for_url(re.compile(r"cursor="))
    assert "第 2 页" in page.locator("nav[aria-label=分页]").inner_text()
    assert page.locator("table.table-list tbody tr").count() == 10
    page.click("a[data-page=previous]")
    page.wait_for_function("() => document.querySelector('nav[aria-label=分页]').innerText.includes('第 1 页')")
    assert page.locator("table.table-list tbody tr td a").first.inner_text() == first
    assert page.console_errors == []


def test_without_javascript_the_village_is_its_code_typed(live_server, browser, make_user, county_lists):
    _, _, village_a, village_b = county_lists
    make_user("county_official", role=Role.OFFICIAL)
    base = live_server.url
    context = browser.new_context(java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    log_in(page, base, "county_official")
    page.goto(f"{base}/finance/homesteads/")
    page.fill("input[name=village]", village_b.code)
    page.locator("form[role=search] button[type=submit]").click()
    page.wait_for_url(re.compile(rf"village={village_b.code}"))
    assert shown(page) == "共 1 条记录" and "南旺户主" in page.content()
    # the villages list: a township is a link to its list
    page.goto(f"{base}/villages/villages/")
    page.click(".accordion-button >> text=南旺镇")
    page.wait_for_url(re.compile(r"township=\d+"))
    assert "乙7村" in page.content() and "甲1村" not in page.content()
    context.close()
