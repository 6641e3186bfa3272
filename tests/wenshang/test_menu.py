"""The navigation bar: every entry of every chain's menu, in the language of the page, leads to a
page that opens (no placeholder, no broken link), for the county and for a township's staff."""
import re
from html import unescape

import pytest

pytestmark = pytest.mark.django_db

ITEM = re.compile(r'<a class="dropdown-item" href="([^"]+)">([^<]+)</a>')


@pytest.mark.parametrize("who", ["admin_user", "staff_a"])
def test_every_menu_entry_opens_a_page(client, users, village_a, who):
    client.force_login(users[who])
    html = client.get("/").content.decode()
    items = [(unescape(url), unescape(label)) for url, label in ITEM.findall(html)]
    chain_items = [(url, label) for url, label in items if url.startswith(("/villages/", "/alliances/", "/grids/",
                                                                          "/finance/", "/talent/", "/reports/",
                                                                          "/dashboard/"))]
    assert len(chain_items) >= 55
    assert ("/dashboard/targets/", "年度目标完成情况") in chain_items
    for url, label in chain_items:
        assert not label.startswith("/"), (url, label)  # a label, not an address
        assert client.get(url).status_code == 200, (url, label)


def test_the_menu_follows_the_language(client, official):
    """Made once per language, never served in the other one."""
    client.force_login(official)
    chinese = [unescape(label) for _url, label in ITEM.findall(client.get("/").content.decode())]
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = [unescape(label) for _url, label in ITEM.findall(client.get("/").content.decode())]
    assert "年度目标完成情况" in chinese and "Annual targets: progress and rankings" not in chinese
    assert "Annual targets: progress and rankings" in english and "年度目标完成情况" not in english
    assert len(chinese) == len(english)
