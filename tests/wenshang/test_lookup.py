"""Choices of records from big tables are looked up as the user types (wenshang.web.lookup): the
form pages stay small whatever the number of households or survey visits, the suggestions are
the user's records only, a forged id is refused next to the field, and the list filters read
全部 / 是 / 否 instead of --------- / 未知."""
import datetime as dt
import re

import pytest
from django.urls import reverse

import wenshang.urls  # noqa: F401  (loads every app's views, which fill REGISTRY)
from grids.models import CreditRecord, Grid, Household
from villages.models import SurveyRound, SurveyVisit, Village
from wenshang.web.portal import REGISTRY

MANY = 1500
MAX_PAGE = 100 * 1024


def households(village, n, name="户主"):
    grid = Grid.objects.create(village=village, code=f"{village.code}001", name="第一网格")
    Household.objects.bulk_create(
        Household(grid=grid, head_name=f"{name}{i}", head_id_number=f"{village.code[-6:]}1990{i:08d}") for i in range(n)
    )
    return grid


def visits(village, n):
    round_ = SurveyRound.objects.create(year=2024, quarter=1, start_date=dt.date(2024, 1, 1), end_date=dt.date(2024, 3, 31))
    SurveyVisit.objects.bulk_create(
        SurveyVisit(round=round_, village=village, visited_on=dt.date(2020, 1, 1) + dt.timedelta(days=i), visitors="调研组",
                    rating_organization=4, rating_industry=3, rating_talent=4, rating_governance=5, rating_environment=4,
                    analysis="总体良好")
        for i in range(n)
    )


def options(html, name):
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no select {name}"
    return re.findall(r'<option value="([^"]*)"', select.group(1))


@pytest.mark.django_db
class TestPageSize:
    def test_the_credit_record_form_holds_no_household_list(self, client, admin_user, village_a):
        households(village_a, MANY)
        client.force_login(admin_user)
        html = client.get(reverse("grids:creditrecord_add")).content.decode()
        assert len(html.encode()) < MAX_PAGE
        assert options(html, "household") == [""]
        assert 'data-lookup-url="/lookup/grids.household/"' in html

    def test_a_chosen_household_is_the_only_option(self, client, admin_user, village_a):
        households(village_a, MANY)
        chosen = Household.objects.order_by("pk")[700]
        client.force_login(admin_user)
        html = client.get(reverse("grids:creditrecord_add"), {"household": chosen.pk}).content.decode()
        assert options(html, "household") == ["", str(chosen.pk)]
        assert f"{chosen}（东石楼村 · 第一网格）" in html

    def test_the_survey_problem_form_holds_no_visit_list(self, client, admin_user, village_a):
        visits(village_a, MANY)
        client.force_login(admin_user)
        html = client.get(reverse("villages:surveyproblem_add")).content.decode()
        assert len(html.encode()) < MAX_PAGE
        assert options(html, "visit") == [""] and options(html, "village") == [""]

    def test_the_village_filter_of_a_list_holds_no_village_list(self, client, admin_user, township_a):
        Village.objects.bulk_create(Village(township=township_a, code=f"{township_a.code}{i:03d}", name=f"村{i}") for i in range(300))
        client.force_login(admin_user)
        html = client.get(reverse("grids:household_list")).content.decode()
        assert '<select name="village"' not in html and "村299" not in html
        box = re.search(r'<input type="text" name="village"[^>]*>', html).group(0)  # a box of the code without JavaScript
        assert 'data-lookup-url="/lookup/villages.village/"' in box


@pytest.mark.django_db
class TestLookupEndpoint:
    def url(self, label="grids.household"):
        return reverse("lookup", args=[label])

    def test_township_staff_get_their_own_households_only(self, client, staff_a, village_a, village_b):
        households(village_a, 30, "王")
        households(village_b, 30, "王")
        client.force_login(staff_a)
        data = client.get(self.url(), {"q": "王1"}).json()
        ids = [r["id"] for r in data["results"]]
        assert 0 < len(ids) <= 20
        assert set(Household.objects.filter(pk__in=ids).values_list("grid__village", flat=True)) == {village_a.pk}
        every = []
        for page in range(1, 5):
            every += [r["id"] for r in client.get(self.url(), {"q": "王", "page": page}).json()["results"]]
        assert len(every) == 30 and not Household.objects.filter(pk__in=every, grid__village=village_b).exists()
        assert data["results"][0]["text"].endswith("（东石楼村 · 第一网格）")

    def test_villages_are_found_by_pinyin_initials(self, client, staff_a, village_a, village_b):
        client.force_login(staff_a)
        assert client.get(self.url("villages.village"), {"q": "dsl"}).json()["results"] == [
            {"id": village_a.pk, "text": "东石楼村（寅寺镇）"}
        ]
        assert client.get(self.url("villages.village"), {"q": "南旺"}).json()["results"] == []

    def test_it_requires_login(self, client, village_a):
        households(village_a, 3)
        response = client.get(self.url(), {"q": "户主"})
        assert response.status_code == 403 and "results" not in response.json()

    def test_models_not_registered_are_refused(self, client, admin_user):
        client.force_login(admin_user)
        assert client.get(self.url("wenshang.user"), {"q": "a"}).status_code == 404
        assert client.get(self.url("wenshang.apitoken"), {"q": "a"}).status_code == 404

    def test_a_person_is_found_by_name_and_id_number_which_stays_masked(self, client, staff_a, township_a, village_a):
        from talent.models import Person
        from tests.talent.helpers import person

        someone = person(township_a, name="李秀英")
        client.force_login(staff_a)
        by_name = client.get(self.url("talent.person"), {"q": "李秀"}).json()["results"]
        by_number = client.get(self.url("talent.person"), {"q": someone.id_number}).json()["results"]
        assert [r["id"] for r in by_name] == [r["id"] for r in by_number] == [someone.pk]
        assert someone.id_number not in str(by_name) and Person.objects.count() == 1


@pytest.mark.django_db
def test_a_household_of_another_township_is_refused_next_to_the_field(client, staff_a, village_a, village_b):
    households(village_b, 2)
    theirs = Household.objects.first()
    client.force_login(staff_a)
    response = client.post(reverse("grids:creditrecord_add"), {"household": theirs.pk, "date": "2024-03-02",
                                                               "category": "volunteer", "points": 5, "reason": "志愿服务"})
    assert response.status_code == 200
    assert response.context["form"].errors["household"].as_data()[0].code == "invalid_choice"
    assert 'is-invalid' in re.search(r'<select name="household"[^>]*>', response.content.decode()).group(0)
    assert theirs.head_name not in response.content.decode()  # not even named back
    assert not CreditRecord.objects.exists()


@pytest.mark.django_db
def test_a_form_field_asks_to_choose_not_for_dashes(client, admin_user):
    client.force_login(admin_user)
    html = client.get(reverse("villages:surveyproblem_add")).content.decode()
    assert "---------" not in html and "请选择" in html


@pytest.mark.parametrize("plural", sorted(REGISTRY))
def test_no_list_filter_reads_dashes_or_unknown(client, admin_user, plural):
    client.force_login(admin_user)
    response = client.get(REGISTRY[plural].list_url())
    assert response.status_code == 200
    form = re.search(r'<form method="get"[^>]*role="search">(.*?)</form>', response.content.decode(), re.S)
    if form is None:
        return  # no filters
    assert "---------" not in form.group(1) and "未知" not in form.group(1)
    if "<select" in form.group(1):
        assert "全部" in form.group(1)


@pytest.mark.django_db
def test_a_yes_no_filter_reads_all_yes_no(client, admin_user):
    client.force_login(admin_user)
    html = client.get(reverse("villages:village_list")).content.decode()
    select = re.search(r'<select name="paired"[^>]*>(.*?)</select>', html, re.S).group(1)
    assert re.findall(r">([^<]+)</option>", select) == ["全部", "是", "否"]
