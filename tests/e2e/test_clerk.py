"""A township clerk, as a new user would: log in, find a village, correct a field, and never reach
another township's records. (Spreadsheet import and export are walked in test_clerk_import.)"""
import re

import pytest

from villages.models import Village

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def clerk(make_user, township_a):
    return make_user("t370830104", role="township", township=township_a, first_name="寅寺镇工作人员")


def log_in(page, base, username):
    page.goto(f"{base}/")
    assert "/accounts/login/" in page.url
    page.fill("#id_username", username)
    page.fill("#id_password", "test-password-123")
    page.click("main form button[type=submit]")


def test_clerk_finds_a_village_corrects_a_field_and_stays_in_scope(live_server, page, shots, clerk, village_a, village_b):
    base = live_server.url
    log_in(page, base, "t370830104")
    page.wait_for_url(f"{base}/")
    page.screenshot(path=shots / "clerk-home.png")

    page.goto(f"{base}/villages/villages/")
    page.fill("input[name=q]", "石楼")
    page.click("form[role=search] button[type=submit]")
    page.get_by_role("link", name="东石楼村").click()
    page.wait_for_url(re.compile(r"/villages/villages/\d+/$"))
    page.get_by_role("link", name="修改").click()
    page.fill("#id_households", "388")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/villages/villages/\d+/$"))
    assert "已保存" in page.content()
    page.screenshot(path=shots / "clerk-village-saved.png", full_page=True)
    assert Village.objects.get(pk=village_a.pk).households == 388
    assert "寅寺镇工作人员" in page.locator("text=变更记录").locator("..").inner_text()  # the user's name, not the login

    # A mistake is explained next to the field and nothing is saved.
    page.get_by_role("link", name="修改").click()
    page.fill("#id_households", "-5")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".invalid-feedback")
    page.screenshot(path=shots / "clerk-field-error.png", full_page=True)
    assert Village.objects.get(pk=village_a.pk).households == 388

    assert page.console_errors == []

    # Another township's village: not in the list, and its pages answer 404.
    page.goto(f"{base}/villages/villages/")
    assert "南旺村" not in page.content()
    response = page.goto(f"{base}/villages/villages/{village_b.pk}/edit/")
    assert response.status == 404


def test_pages_fit_a_phone(live_server, browser, clerk, village_a, shots):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server.url, "t370830104")
    page.goto(f"{live_server.url}/villages/villages/{village_a.pk}/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"the page is {width}px wide on a 390px phone"
    page.screenshot(path=shots / "phone-village.png", full_page=True)
    context.close()
