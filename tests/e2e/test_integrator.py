"""An integrator, as a new user would: the county administrator makes a token on the portal's page,
the integrator reads the API documentation (served with no internet), then follows the README's
guide with that token: one township's villages, the parcels filtered, a loan created, an error read."""
import json
import urllib.error
import urllib.request
from urllib.parse import urlparse

import pytest

from finance.models import Homestead, Loan
from tests.talent.helpers import id_number

pytestmark = pytest.mark.django_db(transaction=True)


def call(base, path, token, body=None, method=None):
    request = urllib.request.Request(base + path, method=method or ("POST" if body is not None else "GET"),
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_from_a_token_to_the_first_loan(live_server, page, shots, make_user, township_a, village_a, village_b):
    base = live_server.url
    make_user("admin", role="admin", first_name="县级管理员")
    Homestead.objects.create(village=village_a, parcel_code=f"{village_a.code}JC00001", holder_name="户主", area="150.00",
                             holder_id_number=id_number(), surveyed_on="2021-05-01", use="idle")
    outside = set()
    page.on("request", lambda r: outside.add(r.url) if urlparse(r.url).hostname not in ("localhost", "127.0.0.1") else None)

    # 1. the administrator makes a token for the bank's system
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "test-password-123")
    page.click("main form button[type=submit]")
    page.click("nav .dropdown-toggle >> nth=-1")
    page.click("text=接口令牌")
    page.fill("#id_name", "汶上农商银行信贷系统")
    page.select_option("#id_township", label=str(township_a))
    page.check("input[name=access][value=write]")
    page.click("text=生成令牌")
    token = page.input_value("#token")
    assert token.startswith("ws_")
    page.screenshot(path=str(shots / "api-token-created.png"), full_page=True)
    page.goto(f"{base}/accounts/api-tokens/")
    assert "汶上农商银行信贷系统" in page.content() and token not in page.content()

    # 2. the documentation, from the portal's own files
    page.goto(f"{base}/api/docs/")
    page.wait_for_selector(".opblock-tag", timeout=20_000)
    assert page.locator(".opblock-tag").count() >= 6
    assert "汶上县" in page.inner_text(".information-container")
    # Swagger UI's own labels in Chinese (it has no translations: static/js/swagger-zh.js)
    page.wait_for_selector("button.authorize:has-text('授权')")
    assert page.get_attribute(".operation-filter-input", "placeholder") == "按标签筛选"
    page.locator(".opblock-tag").first.click()
    page.locator(".opblock-summary").first.click()
    page.wait_for_selector(".opblock-body button.try-out__btn:has-text('试一试')")
    assert "Try it out" not in page.inner_text("#swagger-ui") and "Authorize" not in page.inner_text("#swagger-ui")
    page.screenshot(path=str(shots / "api-docs.png"))
    assert not outside, outside
    assert not page.console_errors, page.console_errors

    # 3. the guide, as the bank's system
    status, villages = call(base, "/api/v1/villages/villages/?page_size=100", token)
    assert status == 200 and [v["name"] for v in villages["results"]] == [village_a.name]
    status, parcels = call(base, f"/api/v1/finance/homesteads/?village={village_a.pk}&use=idle&ordering=-area&page_size=50", token)
    assert status == 200 and len(parcels["results"]) == 1
    loan = {"kind": "startup_guarantee", "bank": "汶上农商银行", "borrower_name": "王五", "borrower_id_number": id_number(),
            "borrower_phone": "13912345678", "township": township_a.pk, "village": village_a.pk, "amount": "80000.00",
            "annual_rate": "4.10", "term_months": 36, "granted_on": "2024-03-01", "due_on": "2027-03-01",
            "interest_subsidy": "0.00", "risk_compensation": "400.00"}
    status, created = call(base, "/api/v1/finance/loans/", token, loan)
    assert status == 201, created
    assert Loan.objects.get(pk=created["id"]).borrower_name == "王五"
    status, error = call(base, "/api/v1/finance/loans/", token, {"kind": "gift", "amount": "-5", "village": village_b.pk})
    assert status == 400 and error["code"] == "invalid" and {"kind", "amount", "village", "bank"} <= set(error["errors"])
    assert Loan.objects.count() == 1
