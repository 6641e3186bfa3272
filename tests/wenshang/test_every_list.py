"""Every entity's list page, for a county administrator: it renders, offers the export of the
filtered list, and offers the spreadsheet import where the entity is importable."""
import pytest
from django.urls import reverse

import wenshang.urls  # noqa: F401  (loads every app's views, which fill REGISTRY)
from wenshang.imports import SPECS
from wenshang.web.portal import REGISTRY


@pytest.mark.parametrize("plural", sorted(REGISTRY))
def test_list_page_offers_export_and_import(client, admin_user, plural):
    client.force_login(admin_user)
    response = client.get(REGISTRY[plural].list_url(), {"q": "x"})
    assert response.status_code == 200
    page = response.content.decode()
    assert reverse("export_csv", args=[plural]) in page and reverse("export_xlsx", args=[plural]) in page
    if plural in SPECS:
        assert reverse("imports:upload", args=[plural]) in page


def test_every_importable_entity_has_pages():
    assert set(SPECS) <= set(REGISTRY)
