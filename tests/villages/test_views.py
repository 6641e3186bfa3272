from tests.viewtests import ModelViewTests
from villages.models import Village
from villages.views import VillageViews


class TestVillageViews(ModelViewTests):
    config = VillageViews
    changes = {"name": "改名村", "households": 321}

    def make(self, township, n=0):
        return Village.objects.create(township=township, code=f"{township.code}{250 + n:03d}", name=f"测试{n}村")

    def form_data(self, township):
        return {"township": township.pk, "code": f"{township.code}299", "name": "新建村", "kind": "village",
                "tier": "excellence", "households": 100, "population": 300}


def test_history_shows_who_changed_what_in_words(client, staff_a, village_a):
    client.force_login(staff_a)
    data = TestVillageViews().post_data(village_a)
    data.update(kind="community", households=500)
    assert client.post(f"/villages/villages/{village_a.pk}/edit/", data).status_code == 302
    page = client.get(f"/villages/villages/{village_a.pk}/").content.decode()
    history = page[page.index("变更记录"):]
    assert "staff_a" in history
    assert "社区" in history and "行政村" in history  # choice labels, not codes
    assert "500" in history


def test_the_tier_is_not_edited_directly(client, staff_a, village_a):
    client.force_login(staff_a)
    data = TestVillageViews().post_data(village_a) | {"tier": "model"}
    assert client.post(f"/villages/villages/{village_a.pk}/edit/", data).status_code == 302
    village_a.refresh_from_db()
    assert village_a.tier == "excellence"  # tiers change through tier-change records


def test_a_form_posted_twice_saves_once(client, staff_a, township_a):
    client.force_login(staff_a)
    form = client.get("/villages/villages/add/").context["form"]
    token = form.initial["form_token"]
    data = TestVillageViews().form_data(township_a) | {"form_token": token}
    first = client.post("/villages/villages/add/", data)
    second = client.post("/villages/villages/add/", data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Village.objects.filter(name="新建村").count() == 1


def test_field_errors_are_shown_next_to_the_field(client, staff_a, township_a):
    client.force_login(staff_a)
    data = TestVillageViews().form_data(township_a) | {"code": "370830102299"}  # another township's prefix
    response = client.post("/villages/villages/add/", data)
    assert response.status_code == 200
    assert "370830104" in str(response.context["form"].errors["code"])
    assert 'is-invalid' in response.content.decode()
    assert not Village.objects.filter(name="新建村").exists()


def test_breadcrumbs_go_from_county_to_township_to_village(client, staff_a, village_a):
    from grids.models import Grid

    grid = Grid.objects.create(village=village_a, code=f"{village_a.code}001", name="第一网格")
    client.force_login(staff_a)
    crumbs = client.get(f"/grids/grids/{grid.pk}/").context["breadcrumbs"]
    assert [str(label) for label, _ in crumbs[:3]] == ["汶上县", "寅寺镇", "东石楼村"]
