"""The clerk's whole path (issue 3, "done when"): log in, find a village by pinyin, import a
spreadsheet with mistakes and see each explained, fix it, import it again without duplicates,
export the list — and never reach another township's records."""
import csv
import io

import pytest

from villages.models import CollectiveIncome

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = "村代码,年度,集体收入（元）,经营性收入（元）\n"


@pytest.fixture
def clerk(make_user, township_a):
    return make_user("t370830104", role="township", township=township_a, first_name="寅寺镇工作人员")


def test_clerk_imports_a_spreadsheet_with_mistakes_then_fixes_it(live_server, page, shots, clerk, village_a, village_b, tmp_path):
    base = live_server.url
    from wenshang.web import search

    search.rebuild()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "t370830104")
    page.fill("#id_password", "test-password-123")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/")

    # Find the village by its pinyin initials from the search box in the navigation bar.
    page.fill("nav input[name=q]", "dsl")
    page.press("nav input[name=q]", "Enter")
    page.get_by_role("link", name="东石楼村").first.click()
    assert "东石楼村" in page.content()
    page.screenshot(path=shots / "clerk-search-dsl.png")

    # A file with three mistakes: a negative amount, a village of another township, a bad year.
    bad = tmp_path / "村集体收入.csv"
    bad.write_text(
        HEADER
        + f"{village_a.code},2023,-500,100\n"
        + f"{village_b.code},2023,300000,100000\n"
        + f"{village_a.code},20x4,300000,100000\n",
        encoding="gbk",
    )
    page.goto(f"{base}/villages/collective-incomes/")
    page.get_by_role("link", name="导入").click()
    page.set_input_files("input[type=file]", str(bad))
    page.click("main form button[type=submit]")
    page.wait_for_url("**/imports/jobs/*/")
    page.screenshot(path=shots / "clerk-import-problems.png", full_page=True)
    text = page.content()
    page.screenshot(path=shots / "clerk-import-problems.png", full_page=True)
    for row in ("2", "3", "4"):
        assert f">{row}<" in text, f"row {row} is not explained"
    assert "确认导入" not in text
    assert CollectiveIncome.objects.count() == 0

    # The corrected file imports; the same file again changes nothing and duplicates nothing.
    good = tmp_path / "村集体收入-改.csv"
    good.write_text(HEADER + f"{village_a.code},2022,280000,90000\n{village_a.code},2023,320000,120000\n", encoding="utf-8-sig")
    for attempt in range(2):
        page.goto(f"{base}/imports/collective-incomes/")
        page.set_input_files("input[type=file]", str(good))
        page.click("main form button[type=submit]")
        page.get_by_role("button", name="确认导入").click()
        page.wait_for_selector("text=已导入")
        if attempt == 0:
            page.screenshot(path=shots / "clerk-import-done.png", full_page=True)
    assert CollectiveIncome.objects.filter(village=village_a).count() == 2

    # Export the list with its filter: a CSV that Excel and WPS open in Chinese.
    page.goto(f"{base}/villages/collective-incomes/?year=2023")
    with page.expect_download() as info:
        page.get_by_role("link", name="导出CSV").click()
    content = open(info.value.path(), encoding="utf-8-sig").read()
    rows = list(csv.reader(io.StringIO(content)))
    assert "年度" in rows[0]
    assert len(rows) == 2 and "2023" in rows[1]

    # Nothing of the other township is reachable.
    response = page.goto(f"{base}/villages/villages/{village_b.pk}/profile/")
    assert response.status == 404
