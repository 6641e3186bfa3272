"""A record's change history names who made each change as the county office writes it
(系统：演示数据导入, 导入：<file>（<user>）, 接口：<client>, the user's name), and a village's
history shows its tier changes, however they were recorded."""
import datetime as dt
import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from finance.models import Homestead
from tests.imports.conftest import HOMESTEAD_HEADERS, parcel_row, table, write_xlsx
from villages.models import TierChange, Village
from villages.services import change_tier
from wenshang.kernel import audit


def history(client, url):
    html = client.get(url).content.decode()
    card = html[html.index("变更记录"):] if "变更记录" in html else html
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", card))


def village_url(village):
    return reverse("villages:village_detail", args=[village.pk])


@pytest.mark.django_db
def test_the_demo_build_reads_as_the_system(client, admin_user, township_a):
    with audit.actor(None, "command:load_demo"):
        village = Village.objects.create(township=township_a, code="370830104201", name="东石楼村")
    client.force_login(admin_user)
    text = history(client, village_url(village))
    assert "系统：演示数据导入" in text and "command:load_demo" not in text


@pytest.mark.django_db
def test_another_command_is_named_by_its_name(client, admin_user, township_a):
    with audit.actor(None, "command:shell"):
        village = Village.objects.create(township=township_a, code="370830104201", name="东石楼村")
    client.force_login(admin_user)
    assert "系统：命令 shell" in history(client, village_url(village))


@pytest.mark.django_db
def test_an_import_names_the_file_and_who_imported_it(client, tmp_path, staff_a, village_a):
    path = write_xlsx(tmp_path / "寅寺镇宅基地.xlsx", table(HOMESTEAD_HEADERS, [parcel_row(village_a.code, 1)]))
    call_command("import_data", "homesteads", str(path), user="staff_a", stdout=None)
    parcel = Homestead.objects.get()
    client.force_login(staff_a)
    text = history(client, reverse("finance:homestead_detail", args=[parcel.pk]))
    assert "导入：寅寺镇宅基地.xlsx（staff_a）" in text


@pytest.mark.django_db
def test_the_api_is_named_by_its_client(client, admin_user, make_token, township_a, village_a):
    token = make_token("省乡村振兴平台", township=township_a, read_only=False)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token.key}")
    response = api.patch(f"/api/v1/villages/villages/{village_a.pk}/", {"population": 1234}, format="json")
    assert response.status_code == 200, response.content
    client.force_login(admin_user)
    text = history(client, village_url(village_a))
    assert "接口：省乡村振兴平台" in text


@pytest.mark.django_db
def test_a_web_edit_names_the_user(client, staff_a, village_a):
    staff_a.last_name, staff_a.first_name = "张", "伟"
    staff_a.save()
    client.force_login(staff_a)
    with audit.actor(staff_a, "web"):
        village_a.population = 321
        village_a.save()
    assert " · 张伟" in history(client, village_url(village_a))


@pytest.mark.django_db
def test_a_tier_change_recorded_in_bulk_shows_in_the_village_history(client, admin_user, township_a):
    """As the demo county is built: the village created at its first tier, the change and the
    new tier written in bulk (no Village update in the log)."""
    with audit.actor(None, "command:load_demo"):
        village = Village.objects.create(township=township_a, code="370830104201", name="东石楼村", tier="excellence")
        changes = TierChange.objects.bulk_create([TierChange(village=village, date=dt.date(2023, 12, 20), from_tier="excellence",
                                                            to_tier="model", reason="考核优秀", decided_by="县委农村工作领导小组")])
        audit.log_bulk_create(TierChange, changes)
        Village.objects.filter(pk=village.pk).update(tier="model")
    client.force_login(admin_user)
    text = history(client, village_url(village))
    assert "示范" in text and "2023-12-20" in text and "创优" in text


@pytest.mark.django_db
def test_a_tier_change_made_on_the_pages_shows_in_the_village_history(client, admin_user, village_a):
    change_tier(user=admin_user, village=village_a, to_tier="model", date=dt.date(2024, 3, 1), reason="考核优秀",
                decided_by="县委农村工作领导小组")
    client.force_login(admin_user)
    text = history(client, village_url(village_a))
    assert "示范" in text and "2024-03-01" in text
