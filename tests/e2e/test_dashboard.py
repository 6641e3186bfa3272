"""A county official, as a new user would (issue 5, "done when"): opens the county dashboard of the
demo county, sees every figure of the article, clicks one and lands on exactly the rows that make
it, goes down to a township and a village, and opens the map; every chart drew, no console errors.
Screenshots: the county dashboard, the map, a village profile, the targets, the big screen and a phone."""
import re

import pytest

from villages.models import Township, Village
from wenshang.web import figures

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CANVAS_DRAWN = """
() => Array.from(document.querySelectorAll('[data-chart]')).map(el => {
  const canvas = el.querySelector('canvas');
  if (!canvas || !canvas.width || !canvas.height) return [el.dataset.chart, 0];
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4 * 7) if (pixels[i] > 0) painted++;
  return [el.dataset.chart, painted];
})
"""


@pytest.fixture
def demo(demo_county):
    """The demo county, built once per test run (tests/conftest.py); this live-server test flushes
    the database after itself, so it runs last of all."""
    return demo_county


def count_shown(page):
    """The record count a list page states above its table."""
    text = page.locator("main .small.text-body-secondary.mb-1").first.inner_text()
    return int(re.search(r"[\d,]+", text).group(0).replace(",", ""))


def test_an_official_walks_from_the_county_to_a_village_and_the_map(demo, live_server, page, shots, browser):
    base = live_server.url
    page.goto(f"{base}/")
    page.fill("#id_username", "leader")
    page.fill("#id_password", "demo12345")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/")
    page.wait_for_selector("#chart-fs_projects canvas")
    page.wait_for_timeout(1200)  # the charts' entry animation

    # Every figure of the article is on the page, with its value.
    expected = figures.compute()
    for key, value in expected.items():
        tile = page.locator(f'[data-figure="{key}"]')
        assert tile.count() == 1, key
        assert float(tile.get_attribute("data-value")) == float(value), key
    assert "2024-06-30" in page.locator("#as-of").inner_text()

    # Each figure against the quarter before and the pilot's start.
    page.wait_for_selector("#dashboard[data-compared='2024Q2']")
    assert "%" in page.locator('[data-figure="homestead_parcels"] .dash-figure-growth').inner_text()

    # Every chart drew.
    drawn = dict(page.evaluate(CANVAS_DRAWN))
    assert set(drawn) == {"tiers", "income", "loans", "pairing", "pipeline", "fs_projects"}
    assert all(n > 50 for n in drawn.values()), drawn
    page.screenshot(path=shots / "dashboard-county.png", full_page=True)

    # A chart's table view and its image download.
    page.click('[data-toggle-table="tiers"]')
    assert page.locator("#table-tiers").is_visible()
    with page.expect_download() as download:
        page.click('[data-download="income"]')
    assert download.value.suggested_filename == "income.png"

    # A figure leads to exactly its rows.
    page.click('[data-figure="provincial_demo_villages"]')
    page.wait_for_url(re.compile(r"/villages/village-honours/\?kind=provincial_revitalization"))
    assert count_shown(page) == expected["provincial_demo_villages"] == 23
    page.go_back()
    page.click('[data-figure="startup_loans_people"]')
    page.wait_for_url(re.compile(r"/finance/loans/\?"))
    assert count_shown(page) == expected["startup_loans_people"] == 1727
    page.go_back()

    # County → township → village profile: two clicks.
    page.locator("#ranking-table").get_by_role("link", name="寅寺镇").click()
    page.wait_for_url(re.compile(r"/dashboard/townships/\d+/$"))
    page.wait_for_selector("#chart-tiers canvas")
    township_figures = figures.compute(township=int(page.url.rstrip("/").rsplit("/", 1)[1]))
    assert float(page.locator('[data-figure="villages"]').get_attribute("data-value")) == township_figures["villages"]
    page.locator("#ranking-table").get_by_role("link", name="东石楼村").click()
    page.wait_for_url(re.compile(r"/villages/villages/\d+/profile/$"))
    assert "东石楼村" in page.locator("h1").inner_text()
    page.screenshot(path=shots / "dashboard-village-profile.png", full_page=True)

    # The map: every township placed, the zones drawn; a township's villages a click away, and a
    # village's parcels one more.
    page.goto(f"{base}/")
    page.click("#open-map")
    page.wait_for_url(re.compile(r"/dashboard/map/(\?county=\d+)?$"))
    page.wait_for_selector("#county-map[data-townships]")
    assert page.get_attribute("#county-map", "data-townships") == "15"
    assert page.get_attribute("#county-map", "data-zones") == str(expected["joint_committees"])
    page.wait_for_timeout(500)
    page.screenshot(path=shots / "dashboard-map.png")
    yinsi = Township.objects.get(code="370830104").pk
    page.evaluate("town => window.countyMap.townships.getLayers().find(m => m.townshipId === town).openPopup()", yinsi)
    assert "寅寺镇" in page.locator(".leaflet-popup").inner_text()
    page.locator(".leaflet-popup a.map-show-villages").click()
    page.wait_for_function("() => Number(document.getElementById('county-map').dataset.villages) > 0")
    page.wait_for_selector("#county-map.dash-map-detail")
    # every village of the township is placed (the townships around it in view may be loaded too)
    placed = page.evaluate("town => window.countyMap.villages.getLayers().filter(m => m.townshipId === town).length", yinsi)
    assert placed == Village.objects.filter(township_id=yinsi).count()
    page.wait_for_timeout(300)
    page.screenshot(path=shots / "dashboard-map-township.png")
    parcels = page.evaluate("""() => {
        const layer = window.countyMap.villages.getLayers().find(m => m.getTooltip().getContent().textContent === '东石楼村');
        layer.openPopup();
        return layer.villageId;
    }""")
    page.locator(".leaflet-popup a.map-parcels").click()
    page.wait_for_url(re.compile(rf"/finance/homesteads/\?village={parcels}$"))
    assert count_shown(page) > 0

    # The year's targets: who is ahead, who is behind; an achievement leads to its rows.
    page.goto(f"{base}/")
    page.click("#open-targets")
    page.wait_for_url(re.compile(r"/dashboard/targets/(\?county=\d+)?$"))
    page.locator("#targets-overview").get_by_role("link", name="贷款发放额（元）").click()
    page.wait_for_url(re.compile(r"indicator=loans_amount"))
    statuses = page.locator("#targets-ranking tbody tr").evaluate_all("rows => rows.map(r => r.dataset.status)")
    assert len(statuses) == 15 and {"ahead", "behind"} <= set(statuses), statuses
    page.screenshot(path=shots / "dashboard-targets.png", full_page=True)
    last = page.locator("#targets-ranking tbody tr").last
    achieved = int(last.locator("a[data-value]").get_attribute("data-value").split(".")[0])
    last.locator("a[data-value]").click()
    page.wait_for_url(re.compile(r"/finance/loans/\?granted_after=2024-01-01&granted_before=2024-12-31&township=\d+$"))
    assert count_shown(page) > 0 and achieved > 0

    # Every figure by period: a past value opens the records as they stood then (the pilot's quarter,
    # closed in the demo: as they stood at its close, the figure frozen then).
    page.goto(f"{base}/")
    page.click("#open-periods")
    page.wait_for_url(re.compile(r"/dashboard/periods/\?period=2024Q2$"))
    pilot = page.locator('tr[data-figure="homestead_parcels"] td:nth-child(5) a')
    then = int(pilot.get_attribute("data-value"))
    pilot.click()
    page.wait_for_url(re.compile(r"figure=homestead_parcels&frozen=\d+"))
    assert page.locator("#frozen-notice").is_visible()
    assert count_shown(page) == then < expected["homestead_parcels"]

    assert page.console_errors == []

    # The big screen and a phone.
    page.goto(f"{base}/?screen=big")
    page.wait_for_selector("#chart-fs_projects canvas")
    page.wait_for_timeout(1200)
    assert page.get_attribute("html", "data-bs-theme") == "dark"
    page.screenshot(path=shots / "dashboard-big-screen.png", full_page=True)
    assert page.console_errors == []

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN",
                                storage_state=page.context.storage_state())
    small = phone.new_page()
    small.goto(f"{base}/")
    small.wait_for_selector("#chart-tiers canvas")
    width = small.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"the dashboard is {width}px wide on a 390px phone"
    small.screenshot(path=shots / "dashboard-phone.png", full_page=True)
    phone.close()
