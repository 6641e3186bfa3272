"""The interface is Chinese by default, whatever the browser asks for; English when chosen."""
from django.conf import settings


def test_chinese_by_default_even_for_an_english_browser(client, db):
    response = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.status_code == 200
    assert "汶上县乡村振兴“三链融合”服务平台" in response.content.decode()
    assert response["Content-Language"] == "zh-hans"


def test_english_when_the_user_chooses_it(client, db):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/admin/login/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get("/admin/login/").content.decode()
    assert "Wenshang County Rural Revitalization Portal" in page


def test_unknown_language_cookie_falls_back_to_chinese(client, db):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "xx"
    assert "服务平台" in client.get("/admin/login/").content.decode()


def test_every_page_says_the_period_of_its_data(admin_client):
    page = admin_client.get("/admin/").content.decode()
    assert "数据截至 2024-06-30" in page


def test_every_list_page_stays_chinese_after_the_api_schema_was_made(client, admin_user):
    """drf-spectacular reads the filter sets to describe the API's filters; the list pages' filter
    forms must keep their Chinese labels afterwards (they used to show "Kind", "Status" …)."""
    import re

    from wenshang.web.portal import REGISTRY

    client.force_login(admin_user)
    assert client.get("/api/schema/").status_code == 200
    english = re.compile(r"<label[^>]*>\s*([A-Za-z][A-Za-z ]+)\s*</label>")
    for cfg in REGISTRY.values():
        page = client.get(cfg.list_url()).content.decode()
        assert not english.findall(page), (cfg.plural, english.findall(page))
