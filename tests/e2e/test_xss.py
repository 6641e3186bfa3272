"""Stored script (issue 11, item 1): every name and description a township clerk can write is
planted with a script payload; the county administrator then opens the dashboards, the map, the
village profiles, the coverage board and the search, hovers every map marker and zone and every
chart element, opens every popup and types into the search box. Nothing may run: no dialog, no
``window.__xss``, no element the payload made (an ``on…`` attribute, an inline script) and no
Content-Security-Policy violation, neither in the console nor at the report endpoint."""
import datetime as dt
import logging
import re
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.core.cache import cache

from alliances.models import Alliance, AllianceMembership, Enterprise, JointCommittee, JointCommitteeVillage, MemberUnit, Pairing
from finance.models import Homestead, LandTransaction, Loan
from grids.models import Grid, GridWorker
from talent.models import Person, ReserveCadre, VillageSecretary
from villages.models import (
    CollectiveIncome,
    County,
    Project,
    SurveyAssignment,
    SurveyProblem,
    SurveyRound,
    SurveyVisit,
    TierChange,
    Township,
    Village,
)
from wenshang.kernel.choices import Role
from wenshang.kernel.validators import credit_check_char, id_check_char

pytestmark = pytest.mark.django_db(transaction=True)

D = dt.date  # every date is fixed; the portal's data are as of 2024-06-30 (PORTAL_DATA_AS_OF)

IMG = '"><img src=x onerror=window.__xss=1>'
SVG = "<svg onload=window.__xss=1>"
SCRIPT = "<script>window.__xss=1</script>"
ATTR = "' onmouseover='window.__xss=1' x='"
TEMPLATE = "{{7*7}}${7*7}"
JS_URL = "javascript:window.__xss=1"
PASSWORD = "test-password-123"

# Every element of the page with an inline handler, an inline script or a payload's tag.
INJECTED = """() => {
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      if (attr.name.startsWith('on')) found.push(el.tagName + ' ' + attr.name + '=' + attr.value);
      if ((attr.name === 'href' || attr.name === 'src') && /^\\s*javascript:/i.test(attr.value)) found.push(el.tagName + ' ' + attr.value);
    }
  }
  for (const s of document.querySelectorAll('script:not([src])')) {
    if (s.type !== 'application/json') found.push('inline script: ' + s.textContent.slice(0, 80));
  }
  for (const img of document.querySelectorAll('img[src="x"]')) found.push('img src=x');
  return found;
}"""


def plant():
    """A small county whose every user-written name and description carries a payload."""
    county = County.objects.create(code="370830", name="汶上县" + SVG)
    town_a = Township.objects.create(county=county, code="370830104", name="寅寺镇" + IMG)
    town_b = Township.objects.create(county=county, code="370830102", name="南旺镇" + SCRIPT)
    places = [(town_a, "东石楼村" + IMG, "35.7301", "116.5102", "model"),
              (town_a, "西石楼村" + SVG, "35.7352", "116.4907", "foundation"),
              (town_a, "北石楼村" + TEMPLATE, "35.7455", "116.5003", "excellence"),
              (town_b, "南旺村" + ATTR, "35.6805", "116.4204", "excellence"),
              (town_b, "北旺村" + JS_URL, "35.6902", "116.4301", "foundation")]
    villages = [Village.objects.create(township=t, code=f"{t.code}2{i:02d}", name=name, latitude=Decimal(lat),
                                       longitude=Decimal(lng), tier=tier, households=300 + i)
                for i, (t, name, lat, lng, tier) in enumerate(places, 1)]
    zone = JointCommittee.objects.create(name="石楼片区联合党委" + SVG, township=town_a, county_leader="县长" + IMG,
                                         established_on=D(2022, 1, 1))
    zone_b = JointCommittee.objects.create(name="南旺片区联合党委" + IMG, township=town_b, county_leader="副县长",
                                           established_on=D(2022, 1, 1))
    for v in villages[:3]:
        JointCommitteeVillage.objects.create(committee=zone, village=v, department="县医保局" + SCRIPT, joined_on=D(2022, 2, 1))
    for v in villages[3:]:
        JointCommitteeVillage.objects.create(committee=zone_b, village=v, department="县财政局" + ATTR, joined_on=D(2022, 2, 1))
    survey_round = SurveyRound.objects.create(year=2024, quarter=2, start_date=D(2024, 4, 1), end_date=D(2024, 6, 30),
                                              theme="产业振兴" + IMG)
    for i, v in enumerate(villages):
        TierChange.objects.create(village=v, date=D(2021, 3, 1), to_tier=v.tier, reason="首次分类" + IMG, decided_by="县委组织部" + SVG)
        grid = Grid.objects.create(village=v, code=f"{v.code}001", name="第一网格" + SCRIPT)
        GridWorker.objects.create(grid=grid, name="网格员" + IMG, role="worker", phone=f"137{i:08d}", lane="幸福路" + SVG,
                                  start_date=D(2022, 1, 1))
        unit = MemberUnit.objects.create(name=f"{v.name}党支部{SVG}", kind="village", township=v.township, village=v,
                                         secretary_name="书记" + IMG)
        alliance = Alliance.objects.create(name=f"共富联盟{i}{IMG}", scope="township", township=v.township, founded_on=D(2022, 1, 1),
                                           industry="蔬菜" + SVG, description="联盟简介" + SCRIPT)
        AllianceMembership.objects.create(alliance=alliance, unit=unit, joined_on=D(2022, 3, 1))
        code = f"91370830MA{i:07d}"
        enterprise = Enterprise.objects.create(name=f"联建企业{i}{SVG}", credit_code=code + credit_check_char(code), township=v.township,
                                               industry="食品" + IMG, legal_representative="法人" + SCRIPT)
        Pairing.objects.create(enterprise=enterprise, village=v, mode="project", path="industry", start_date=D(2023, 1, 1),
                               agreement="协议" + IMG)
        for kind, status in (("pairing", "building"), ("first_secretary", "completed")):
            project = Project.objects.create(name=f"项目{i}{kind}{IMG}", kind=kind, status=status, township=v.township,
                                             investment=1000 * (i + 1), jobs=i, start_date=D(2023, 3, 1), description="简介" + SVG)
            project.villages.add(v)
        Loan.objects.create(kind="project", bank="农商银行" + SVG, borrower_name="借款人" + IMG, township=v.township, village=v,
                            amount=10000, annual_rate=Decimal("3.5"), term_months=12, granted_on=D(2024, 1, 15), due_on=D(2025, 1, 15))
        first = f"3708301970020{i:04d}"
        Homestead.objects.create(village=v, parcel_code=f"{v.code}JC{i:05d}", holder_name="户主" + IMG,
                                 holder_id_number=first + id_check_char(first), area=Decimal("200.00"), use="idle",
                                 surveyed_on=D(2023, 5, 1))
        LandTransaction.objects.create(village=v, contract_no=f"HT{i}", date=D(2023, 6, 1), area_mu=Decimal("10"),
                                       price=Decimal("500000"), buyer="某公司" + SVG, use="industrial", term_years=40)
        first = f"3708301985010{i:04d}"
        person = Person.objects.create(name="张三" + IMG, id_number=first + id_check_char(first), phone=f"139{i:08d}",
                                       township=v.township, village=v, workplace="合作社" + SVG)
        VillageSecretary.objects.create(person=person, village=v, start_date=D(2021, 1, 1))
        ReserveCadre.objects.create(person=person, village=v, mentor="老书记" + SCRIPT, since=D(2022, 1, 1))
        CollectiveIncome.objects.create(village=v, year=2023, amount=100000 + i, operating=50000)
        if i % 2 == 0:  # visited this round, with a problem; the others wait for their assigned leader
            visit = SurveyVisit.objects.create(round=survey_round, village=v, visited_on=D(2024, 5, 10), visitors="调研组" + IMG,
                                               rating_organization=4, rating_industry=3, rating_talent=4, rating_governance=5,
                                               rating_environment=4, analysis="分析" + SCRIPT)
            SurveyProblem.objects.create(visit=visit, village=v, category="industry", description="问题" + IMG,
                                         responsible_unit="县农业农村局" + SVG, deadline=D(2024, 6, 1))
        else:
            SurveyAssignment.objects.create(round=survey_round, village=v, leader_name="王局长" + IMG, leader_title="局长" + SVG)
    return [town_a, town_b], villages, [zone, zone_b]


class Watch:
    """What the page did: dialogs, console messages about the Content-Security-Policy."""

    def __init__(self, page):
        self.dialogs, self.csp = [], []
        page.on("dialog", self.dialog)
        page.on("console", lambda msg: self.csp.append(msg.text) if "Content Security Policy" in msg.text else None)

    def dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()


def check(page, watch, where):
    assert page.evaluate("window.__xss") is None, f"a payload ran on {where}"
    assert watch.dialogs == [], (where, watch.dialogs)
    assert page.evaluate(INJECTED) == [], where
    assert watch.csp == [], (where, watch.csp)


def hover_charts(page):
    """Each chart's tooltip for every data point (showTip), then the mouse across each canvas.
    Returns the text of every tooltip shown."""
    shown = []
    for chart_id in page.eval_on_selector_all("[data-chart]", "els => els.map(e => e.dataset.chart)"):
        points = page.evaluate("""id => {
            const option = echarts.getInstanceByDom(document.getElementById('chart-' + id)).getOption();
            return option.series.map((s, i) => [i, s.data.length]);
        }""", chart_id)
        for series, n in points:
            for index in range(n):
                page.evaluate("""([id, s, i]) => echarts.getInstanceByDom(document.getElementById('chart-' + id))
                    .dispatchAction({type: 'showTip', seriesIndex: s, dataIndex: i})""", [chart_id, series, index])
                page.wait_for_timeout(30)
                shown.append(page.locator(f"#chart-{chart_id}").inner_text())
        box = page.locator(f"#chart-{chart_id}")
        box.scroll_into_view_if_needed()
        area = box.bounding_box()
        for step in range(1, 20):
            page.mouse.move(area["x"] + area["width"] * step / 20, area["y"] + area["height"] * 0.6)
            page.wait_for_timeout(15)
        shown.append(box.inner_text())
    return shown


def hover_villages(page, township=None):
    """The mouse over every village marker (of ``township``) in view, and a click on it; their texts."""
    texts = []
    points = page.evaluate("""township => {
        const box = document.getElementById('county-map').getBoundingClientRect();
        return window.countyMap.villages.getLayers().filter(m => township === null || m.townshipId === township).map(m => {
            const p = window.countyMap.map.latLngToContainerPoint(m.getLatLng());
            return [box.left + p.x, box.top + p.y];
        });
    }""", township)
    for x, y in points:
        page.mouse.move(x, y)
        page.wait_for_timeout(80)
        texts.append(page.locator("#county-map .leaflet-tooltip-pane").inner_text())
        page.mouse.click(x, y)
        page.wait_for_timeout(80)
        texts.append(page.locator("#county-map .leaflet-popup-pane").inner_text())
        # close it, so that the next marker's click cannot land on this popup's links
        page.evaluate("() => window.countyMap.map.closePopup()")
    return texts


def hover_map(page):
    """The mouse over every village marker, every zone's tooltip and every popup; returns their texts.
    On the county's map: every township's popup first, then each township's villages as a click on
    "show its villages" loads them."""
    page.wait_for_selector("#county-map[data-zones]")
    page.wait_for_timeout(300)
    texts = []
    if page.evaluate("() => window.countyMap.level") == "county":
        texts.append(page.locator("#county-map").inner_text())  # the townships' labels at the county's zoom
        towns = page.evaluate("() => window.countyMap.townships.getLayers().map(m => m.townshipId)")
        for town in towns:
            page.click("#county-map a.map-whole")  # back to the townships
            page.evaluate("""town => window.countyMap.townships.getLayers().find(m => m.townshipId === town).openPopup()""", town)
            texts.append(page.locator("#county-map .leaflet-popup-pane").inner_text())
            page.locator(".leaflet-popup a.map-show-villages").click()
            page.wait_for_function("town => window.countyMap.villages.getLayers().some(m => m.townshipId === town)", arg=town)
            page.wait_for_timeout(300)
            texts += hover_villages(page, town)
    else:
        texts += hover_villages(page)
    texts.append(page.evaluate("""() => {
        const out = [];
        for (const group of [window.countyMap.villages, window.countyMap.zones]) {
            for (const layer of group.getLayers()) {
                layer.openTooltip(layer.getBounds ? layer.getBounds().getCenter() : layer.getLatLng());
                out.push(document.querySelector('#county-map .leaflet-tooltip-pane').innerText);
                layer.closeTooltip();
                if (layer.getPopup()) { layer.openPopup(); out.push(document.querySelector('#county-map .leaflet-popup-pane').innerText); }
            }
        }
        return out.join('\\n');
    }"""))
    texts.append(page.locator("#county-map").inner_text())  # the townships' labels, and the layer control
    return "\n".join(texts)


def test_no_payload_runs_anywhere_the_administrator_looks(live_server, page, make_user, caplog):
    cache.clear()  # the dashboards' figures are cached: draw them from these records
    towns, villages, zones = plant()
    make_user("county_admin", role=Role.ADMIN, first_name="管理员" + IMG)
    base = live_server.url
    watch = Watch(page)
    caplog.set_level(logging.WARNING, logger="wenshang.kernel.csp")

    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "county_admin")
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/")

    # The county dashboard and each township's: every chart element hovered, every table view opened.
    for path in ["/", *[f"/dashboard/townships/{t.pk}/" for t in towns]]:
        page.goto(base + path)
        page.wait_for_selector("#chart-fs_projects canvas")
        page.wait_for_timeout(600)
        shown = "\n".join(hover_charts(page))
        if path == "/":
            assert towns[0].name in shown and towns[1].name in shown, "the tiers chart's tooltips name the townships"
            assert "建成投用" in shown, "the pie's tooltip was shown"
        for button in page.locator("[data-toggle-table]").all():
            button.click()
        check(page, watch, path)
        if path == "/":
            assert towns[0].name in page.locator("#table-tiers").inner_text()

    # The map: every marker and zone hovered, every popup opened; the township labels always shown.
    for path in ["/dashboard/map/", f"/dashboard/map/?township={towns[0].pk}"]:
        page.goto(base + path)
        texts = hover_map(page)
        check(page, watch, path)
        for v in villages if path == "/dashboard/map/" else villages[:3]:
            assert v.name in texts, v.name
        assert zones[0].name in texts and towns[0].name in texts, "the zones' tooltips and the townships' labels show the names as written"

    # The village profiles, the coverage board, the targets and the periods.
    for path in [*[f"/villages/villages/{v.pk}/profile/" for v in villages], "/reports/coverage/", "/dashboard/targets/",
                 "/dashboard/periods/"]:
        page.goto(base + path)
        page.wait_for_load_state("load")
        page.mouse.move(200, 300)
        check(page, watch, path)
    page.goto(f"{base}/reports/coverage/")
    assert villages[1].name in page.locator("#coverage-not-visited").inner_text()

    # The search box: payloads typed in (reflected) and names found (stored).
    for query in [IMG, SCRIPT, "window.__xss", "石楼", "张三", JS_URL]:
        page.goto(f"{base}/villages/villages/{villages[0].pk}/profile/")
        box = page.locator("nav input[name=q]")
        box.click()
        box.type(query, delay=5)
        check(page, watch, f"typing {query!r}")
        box.press("Enter")
        page.wait_for_url(re.compile(r"/search/\?q="))
        check(page, watch, f"search {query!r}")
    page.goto(f"{base}/search/?q=" + quote("石楼"))
    assert villages[0].name in page.inner_text("main")

    reports = [r.getMessage() for r in caplog.records if r.name == "wenshang.kernel.csp"]
    assert reports == []


def test_what_the_inline_handlers_did_still_works_under_the_policy(live_server, page, make_user, township_a, village_a, caplog):
    """The behaviours moved from on… attributes and inline scripts to static/js/portal.js: a select
    that submits its form, a confirmation, printing, copying the new token, a form sent once, and
    a background job's page polling its progress."""
    SurveyRound.objects.create(year=2024, quarter=1, start_date=D(2024, 1, 1), end_date=D(2024, 3, 31))
    SurveyRound.objects.create(year=2024, quarter=2, start_date=D(2024, 4, 1), end_date=D(2024, 6, 30))
    make_user("county_admin", role=Role.ADMIN)
    base = live_server.url
    watch = Watch(page)
    caplog.set_level(logging.WARNING, logger="wenshang.kernel.csp")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "county_admin")
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/")

    # a select submits its form
    page.goto(f"{base}/dashboard/targets/")
    page.select_option("#targets-township", str(township_a.pk))
    page.wait_for_url(re.compile(rf"/dashboard/targets/\?year=2024&township={township_a.pk}&"))
    page.goto(f"{base}/reports/coverage/")
    first = page.locator("#round-select option").last.get_attribute("value")
    page.select_option("#round-select", first)
    page.wait_for_url(re.compile(rf"/reports/coverage/\?round={first}$"))

    # printing the village profile
    page.goto(f"{base}/villages/villages/{village_a.pk}/profile/")
    page.evaluate("window.print = () => { window.__printed = true; }")
    page.get_by_role("button", name="打印").click()
    assert page.evaluate("window.__printed") is True

    # a token: copied once made, revoked only when confirmed
    page.goto(f"{base}/accounts/api-tokens/")
    page.fill("#id_name", "农商银行信贷系统")
    page.get_by_role("button", name="生成令牌").click()
    token = page.input_value("#token")
    page.get_by_role("button", name="复制").click()
    page.wait_for_selector("button:has-text('已复制')")
    assert page.evaluate("navigator.clipboard.readText()") == token
    page.goto(f"{base}/accounts/api-tokens/")
    answers = iter([False, True])
    page.remove_listener("dialog", watch.dialog)
    page.on("dialog", lambda d: d.accept() if next(answers) else d.dismiss())
    revoke = page.get_by_role("button", name="吊销")
    revoke.click()
    page.wait_for_timeout(300)
    assert page.locator("td .badge.text-bg-success").count() == 1  # dismissed: still active
    revoke.click()
    page.wait_for_url(re.compile(r"/accounts/api-tokens/"))
    page.wait_for_selector("td .badge.text-bg-danger")

    # a report requested once (its button is disabled once sent), then its page polls the progress
    page.goto(f"{base}/reports/")
    page.select_option("#id_period", "2024-2")
    page.select_option("#id_subject", page.locator("#id_subject option[value^='county:']").first.get_attribute("value"))
    with page.expect_request(re.compile(r"/reports/\d+/progress/$"), timeout=15_000):
        page.locator("#report-request button[type=submit]").dblclick()
        page.wait_for_url(re.compile(r"/reports/\d+/$"))
    assert page.locator("#report-versions tbody tr").count() == 1

    assert watch.csp == [] and watch.dialogs == []
    assert [r for r in caplog.records if r.name == "wenshang.kernel.csp"] == []
