"""On a phone (issue 12, item 3): the county administrator opens every list of the demo county on a
390×844 screen. Each list's first column, the record's name, reads on one line (never 幸/福/社/区,
one character a line) and only the table scrolls sideways, never the page. The dashboard, a village
profile, the map and the coverage board fit the screen too.

Screenshots (``$WENSHANG_VAR_DIR/screenshots``; copied to docs/screenshots when UPDATE_SCREENSHOTS
is set): phone-list.png, phone-map.png."""
import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

import wenshang.urls  # noqa: F401  (loads every app's views, which fill REGISTRY)
from grids.models import Household
from villages.models import Village
from wenshang.api.tokens import create_token
from wenshang.imports.models import ImportJob
from wenshang.kernel.models import User
from wenshang.reports import data, services
from wenshang.web.portal import REGISTRY

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True,
         "locale": "zh-CN"}
LONG_NAME = "兴隆社区居民委员会"

# The first cell of a table's first row: its text, on how many lines it is drawn, its width, and
# the width its first two characters take (side by side, or one above the other when it wraps).
NAME_CELL = """
selector => {
  const cell = document.querySelector(selector);
  if (!cell) return null;
  const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  let node = walker.nextNode();
  while (node && !node.textContent.trim()) node = walker.nextNode();
  if (!node) return null;
  const all = document.createRange();
  all.selectNodeContents(cell);
  const lines = new Set(Array.from(all.getClientRects()).filter(r => r.width > 0).map(r => Math.round(r.top)));
  const start = node.textContent.search(/\\S/);
  const two = document.createRange();
  two.setStart(node, start);
  two.setEnd(node, Math.min(node.textContent.length, start + 2));
  return {
    text: cell.textContent.trim(),
    lines: lines.size,
    width: all.getBoundingClientRect().width,
    two: Array.from(two.getClientRects()).reduce((sum, r) => sum + r.width, 0),
  };
}
"""
PAGE_WIDTH = "() => [document.documentElement.scrollWidth, window.innerWidth]"


@pytest.fixture
def demo(demo_county):
    """The demo county, built once per test run (tests/conftest.py); this live-server test flushes
    the database after itself, so it runs last of all."""
    return demo_county


@pytest.fixture
def extra_lists(demo):
    """A record for the lists the demo county leaves empty (reports, tokens, imports) and a long
    community name at the top of the village lists; all put back afterwards."""
    admin = User.objects.get(username="admin")
    first = Village.objects.order_by("code").first()
    name = first.name
    Village.objects.filter(pk=first.pk).update(name=LONG_NAME)
    report, _ = services.request_report(subject=data.subject_from_key("county"), year=2024, quarter=2, send=False)
    token, _ = create_token(name="幸福社区居委会数据对接", read_only=True, expires_days=30)
    job = ImportJob.objects.create(user=admin, entity="villages", file="imports/2024/06/villages.xlsx",
                                   original_name="幸福社区居委会村庄名单.xlsx", status=ImportJob.Status.INVALID)
    yield report
    job.delete()
    token.delete()
    report.delete()
    Village.objects.filter(pk=first.pk).update(name=name)


def save_shot(page, shots, name, **kwargs):
    page.screenshot(path=shots / name, **kwargs)
    if os.environ.get("UPDATE_SCREENSHOTS"):
        docs = Path(settings.BASE_DIR) / "docs" / "screenshots"
        docs.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shots / name, docs / name)


def test_every_list_reads_on_a_phone(demo, extra_lists, live_server, browser, shots):
    base = live_server.url
    context = browser.new_context(**PHONE)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "demo12345")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/")

    first_cell = "main table tbody tr:first-child td:first-child"
    ranked_village = Household.objects.values_list("grid__village_id", flat=True).first()
    lists = [(cfg.list_url(), first_cell) for plural, cfg in sorted(REGISTRY.items()) if plural != "villages"]
    lists += [
        # the villages, grouped by township (a township's name on its line), and as one list
        (REGISTRY["villages"].list_url(), "[data-township-groups] .accordion-header .fw-semibold"),
        (REGISTRY["villages"].list_url() + "?view=list", first_cell),
    ]
    lists += [
        (reverse("reports:list"), "#report-list tbody tr:first-child td:first-child"),
        (reverse("reports:detail", args=[extra_lists.pk]), "#report-versions tbody tr:first-child td:first-child"),
        (reverse("api_token_list"), first_cell),
        (reverse("user_list"), first_cell),
        (reverse("imports:jobs"), first_cell),
        (reverse("grids:village_ranking", args=[ranked_village]), "main table tbody tr:first-child td:nth-child(2)"),
        (reverse("reports:coverage"), "#coverage-not-visited tbody tr:first-child td:first-child"),
    ]
    problems = []
    for url, selector in lists:
        response = page.goto(f"{base}{url}")
        assert response.status == 200, url
        cell = page.evaluate(NAME_CELL, selector)
        if cell is None:
            problems.append(f"{url}: no row in the list")
        elif cell["lines"] != 1 or cell["width"] + 0.5 < cell["two"]:
            problems.append(f"{url}: “{cell['text']}” is drawn on {cell['lines']} lines, {cell['width']:.0f}px wide "
                            f"(its first two characters take {cell['two']:.0f}px)")
        scroll_width, inner_width = page.evaluate(PAGE_WIDTH)
        if scroll_width > inner_width + 1:
            problems.append(f"{url}: the page is {scroll_width}px wide on a {inner_width}px phone")
    assert problems == [], "\n".join(problems)

    page.goto(f"{base}{REGISTRY['villages'].list_url()}?view=list")
    page.evaluate("""() => {
        const count = document.querySelector('main .table-responsive').previousElementSibling;  // 共 … 条记录
        window.scrollTo({top: count.getBoundingClientRect().top + window.scrollY - 8, behavior: 'instant'});
    }""")
    assert LONG_NAME in page.locator(first_cell).inner_text()
    save_shot(page, shots, "phone-list.png")

    # The dashboard, a village profile, the map and the coverage board fit the screen.
    village = Village.objects.get(name="东石楼村")
    for url in ("/", reverse("villages:village_profile", args=[village.pk]), "/dashboard/map/", reverse("reports:coverage")):
        page.goto(f"{base}{url}")
        page.wait_for_load_state("networkidle")
        scroll_width, inner_width = page.evaluate(PAGE_WIDTH)
        assert scroll_width <= inner_width + 1, f"{url}: the page is {scroll_width}px wide on a {inner_width}px phone"

    # The map: the township names are small, never in the way of a tap on a village dot.
    page.goto(f"{base}/dashboard/map/")
    page.wait_for_selector("#county-map[data-villages] .dash-town-label")
    labels = page.locator(".dash-town-label").evaluate_all(
        "els => els.map(el => [getComputedStyle(el).pointerEvents, parseFloat(getComputedStyle(el).fontSize)])")
    assert len(labels) == 15 and all(events == "none" and size <= 12 for events, size in labels), labels
    page.locator("#county-map").scroll_into_view_if_needed()
    save_shot(page, shots, "phone-map.png")

    # Zoomed out beyond the county, the names would cover each other: they are hidden.
    page.evaluate("() => { window.countyMap.map.setZoom(window.countyMap.map.getZoom() - 1, {animate: false}); }")
    page.wait_for_selector("#county-map.dash-map-far")
    assert not page.locator(".dash-town-label").first.is_visible()

    assert errors == []
    context.close()
