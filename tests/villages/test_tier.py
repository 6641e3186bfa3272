"""A village's tier changes through ``villages.services.change_tier``: the change is recorded with
its date, reason and who decided, the village's tier follows, and the change log names the user."""
from datetime import date

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from tests.viewtests import ModelViewTests
from villages.models import TierChange, Village
from villages.services import change_tier, edit_tier_change
from villages.views import TierChangeViews
from wenshang.kernel.models import ObjectChange

ADD = "villages:tierchange_add"


def form(village, **changes):
    data = {"village": village.pk, "date": "2023-12-20", "to_tier": "model", "reason": "跨村联建带动，集体收入突破目标",
            "decided_by": "县委农村工作领导小组"}
    data.update(changes)
    return data


def log(model, obj, action="update"):
    return ObjectChange.objects.filter(
        content_type=ContentType.objects.get_for_model(model), object_id=str(obj.pk), action=action
    ).order_by("pk")


@pytest.mark.django_db
class TestTierChangeForm:
    def test_posting_a_change_moves_the_village_and_keeps_the_history(self, client, users, village_a):
        assert village_a.tier == "excellence"
        client.force_login(users["staff_a"])
        assert '<select name="from_tier"' not in client.get(reverse(ADD)).content.decode()  # not typed: the current tier
        response = client.post(reverse(ADD), form(village_a))
        assert response.status_code == 302, response.context["form"].errors if response.context else response
        village_a.refresh_from_db()
        assert village_a.tier == "model"
        change = TierChange.objects.get()
        assert (change.village, change.date, change.from_tier, change.to_tier) == (village_a, date(2023, 12, 20), "excellence", "model")
        assert (change.reason, change.decided_by) == ("跨村联建带动，集体收入突破目标", "县委农村工作领导小组")
        # A second change follows from the first.
        response = client.post(reverse(ADD), form(village_a, date="2024-12-20", to_tier="excellence", reason="年度评定"))
        assert response.status_code == 302
        village_a.refresh_from_db()
        assert village_a.tier == "excellence"
        assert list(village_a.tier_changes.values_list("from_tier", "to_tier")) == [("excellence", "model"), ("model", "excellence")]
        # The village's page lists the history.
        html = client.get(reverse("villages:village_detail", args=[village_a.pk])).content.decode()
        assert str(change) in html

    def test_the_change_log_records_who(self, client, users, village_a):
        client.force_login(users["staff_a"])
        client.post(reverse(ADD), form(village_a))
        change = TierChange.objects.get()
        created = log(TierChange, change, "create").get()
        assert (created.action, created.user, created.source) == ("create", users["staff_a"], "web")
        updated = log(Village, village_a).get()
        assert (updated.action, updated.user, updated.diff) == ("update", users["staff_a"], {"tier": ("excellence", "model")})
        html = client.get(reverse("villages:village_detail", args=[village_a.pk])).content.decode()
        assert users["staff_a"].username in html

    def test_the_same_tier_is_refused_and_nothing_changes(self, client, users, village_a):
        client.force_login(users["staff_a"])
        response = client.post(reverse(ADD), form(village_a, to_tier="excellence"))
        assert response.status_code == 200 and "to_tier" in response.context["form"].errors
        assert not TierChange.objects.exists()
        assert not log(Village, village_a).exists()

    def test_a_change_dated_before_the_latest_is_refused(self, client, users, village_a):
        client.force_login(users["staff_a"])
        assert client.post(reverse(ADD), form(village_a, date="2023-12-20")).status_code == 302
        response = client.post(reverse(ADD), form(village_a, date="2022-12-20", to_tier="foundation"))
        assert response.status_code == 200
        assert response.context["form"].errors["date"]
        village_a.refresh_from_db()
        assert village_a.tier == "model" and TierChange.objects.count() == 1
        # The same day as the latest is fine: it comes after it.
        assert client.post(reverse(ADD), form(village_a, date="2023-12-20", to_tier="foundation")).status_code == 302
        village_a.refresh_from_db()
        assert village_a.tier == "foundation"

    def test_an_edit_corrects_the_reason_but_never_the_tier(self, client, users, village_a):
        client.force_login(users["staff_a"])
        client.post(reverse(ADD), form(village_a))
        change = TierChange.objects.get()
        url = reverse("villages:tierchange_edit", args=[change.pk])
        data = form(village_a, to_tier="foundation", date="2020-01-01", from_tier="foundation", reason="更正：年度分类评定")
        assert client.post(url, data).status_code == 302
        change.refresh_from_db()
        village_a.refresh_from_db()
        assert (change.reason, change.to_tier, change.from_tier, change.date) == ("更正：年度分类评定", "model", "excellence", date(2023, 12, 20))
        assert village_a.tier == "model"


@pytest.mark.django_db
class TestAnotherTownship:
    def test_another_township_cannot_change_the_tier(self, client, users, village_a):
        client.force_login(users["staff_b"])
        response = client.post(reverse(ADD), form(village_a))
        assert response.status_code in (200, 403)  # the village is not offered
        if response.status_code == 200:
            assert "village" in response.context["form"].errors
        village_a.refresh_from_db()
        assert village_a.tier == "excellence" and not TierChange.objects.exists()

    def test_another_township_finds_no_change_to_edit(self, client, users, village_a):
        change = change_tier(user=users["staff_a"], village=village_a, to_tier="model", date=date(2023, 12, 20), reason="评定",
                             decided_by="县委")
        client.force_login(users["staff_b"])
        for name in ("villages:tierchange_detail", "villages:tierchange_edit", "villages:tierchange_delete"):
            assert client.get(reverse(name, args=[change.pk])).status_code == 404
        assert client.post(reverse("villages:tierchange_edit", args=[change.pk]), form(village_a, reason="改")).status_code == 404
        assert client.get(reverse("villages:village_detail", args=[village_a.pk])).status_code == 404
        change.refresh_from_db()
        village_a.refresh_from_db()
        assert change.reason == "评定" and village_a.tier == "model"

    def test_the_service_refuses_them_and_writes_nothing(self, users, village_a):
        for name in ("staff_b", "official"):
            with pytest.raises(PermissionDenied):
                change_tier(user=users[name], village=village_a, to_tier="model", date=date(2023, 12, 20), reason="评定",
                            decided_by="县委")
        village_a.refresh_from_db()
        assert village_a.tier == "excellence" and not TierChange.objects.exists()
        assert not ObjectChange.objects.filter(content_type=ContentType.objects.get_for_model(TierChange)).exists()


@pytest.mark.django_db
def test_edit_tier_change_refuses_to_move_tiers(users, village_a):
    change = change_tier(user=users["staff_a"], village=village_a, to_tier="model", date=date(2023, 12, 20), reason="评定",
                         decided_by="县委")
    change.to_tier = "foundation"
    with pytest.raises(ValidationError):
        edit_tier_change(user=users["staff_a"], change=change, reason="改", decided_by="县委")
    change.refresh_from_db()
    assert (change.to_tier, change.reason) == ("model", "评定")


class TestTierChangeViews(ModelViewTests):
    """The reusable page tests, with adds going through ``change_tier``."""

    config = TierChangeViews
    api_recreate = False  # the village already has the tier: a new change to it is refused (tests/api/test_writes.py)
    changes = {"reason": "更正后的理由", "decided_by": "县委组织部"}

    def make(self, township, n=0):
        village = Village.objects.create(township=township, code=f"{township.code}{260 + n:03d}", name=f"分类{n}村")
        return TierChange.objects.create(village=village, date=date(2021, 3, 15), from_tier="", to_tier="excellence",
                                         reason="首次分类", decided_by="县委组织部")

    def form_data(self, township):
        village = Village.objects.create(township=township, code=f"{township.code}299", name="新分类村", tier="foundation")
        return form(village, to_tier="excellence")

    def test_editor_lists_reads_adds_edits_and_deletes(self, client, users, township_a):
        # The reusable test looks for str(obj) ("分类0村 2021-03-15: 创优") on the list page, but the
        # tier-change list (villages' own columns) shows the village, date and tiers in separate
        # cells. The same flow, checking the cells instead; an add also moves the village's tier.
        obj = self.make(township_a)
        self.login(client, users, self.editor)
        page = client.get(self.url("list"))
        assert page.status_code == 200
        assert any(row == obj and cells[0] == obj.village and cells[1] == obj.date for row, cells in page.context["rows"])
        assert client.get(self.url("detail", obj)).status_code == 200
        assert client.get(self.url("add")).status_code == 200
        data = self.form_data(township_a)
        assert client.post(self.url("add"), data).status_code == 302
        assert Village.objects.get(pk=data["village"]).tier == "excellence"
        assert client.post(self.url("edit", obj), self.post_data(obj)).status_code == 302
        obj.refresh_from_db()
        assert (obj.reason, obj.decided_by, obj.to_tier) == ("更正后的理由", "县委组织部", "excellence")
        assert users[self.editor].username in client.get(self.url("detail", obj)).content.decode()
        assert client.post(self.url("delete", obj)).status_code == 302
        assert not TierChange.objects.filter(pk=obj.pk).exists()
