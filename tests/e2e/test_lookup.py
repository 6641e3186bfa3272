"""A clerk chooses a household by typing, without the mouse: two characters, ↓, Enter, save."""
import re

import pytest

from grids.models import CreditRecord, Grid, Household
from tests.e2e.test_clerk import log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def clerk(make_user, township_a):
    return make_user("t370830104", role="township", township=township_a, first_name="寅寺镇工作人员")


def household(village, n, name):
    grid = Grid.objects.get_or_create(village=village, code=f"{village.code}001", defaults={"name": "第一网格"})[0]
    return Household.objects.create(grid=grid, head_name=name, head_id_number=f"{village.code[-6:]}1990{n:08d}")


def test_a_household_is_chosen_with_the_keyboard(live_server, page, shots, clerk, village_a, village_b):
    ours = household(village_a, 1, "李秀英")
    household(village_a, 2, "王建国")
    household(village_b, 3, "李秀兰")  # another township's: never suggested
    base = live_server.url
    log_in(page, base, "t370830104")
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/grids/credit-records/add/")
    box = page.get_by_role("combobox", name="农户")
    box.focus()
    page.keyboard.type("李秀")
    listbox = page.get_by_role("listbox")
    listbox.get_by_role("option").first.wait_for()
    assert listbox.get_by_role("option").all_inner_texts() == ["李秀英户（东石楼村 · 第一网格）"]
    page.screenshot(path=shots / "lookup-suggestions.png")
    page.keyboard.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant")
    page.keyboard.press("Enter")
    assert box.input_value() == "李秀英户（东石楼村 · 第一网格）"
    assert box.get_attribute("aria-expanded") == "false"

    page.fill("#id_date", "2024-03-02")
    page.select_option("#id_category", index=1)
    page.fill("#id_points", "5")
    page.fill("#id_reason", "志愿服务")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/grids/credit-records/\d+/$"))
    record = CreditRecord.objects.get()
    assert record.household == ours and record.points == 5
    assert not page.console_errors
