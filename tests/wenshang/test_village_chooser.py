"""Choosing a village (a household, a person, an enterprise) in a list's filter form: a box of the
record's code, never a <select> of every village; search-as-you-type from the lookup endpoint
(the user's own records only) where JavaScript runs, the code typed where it does not."""
import datetime as dt
import re

import pytest
from django.urls import reverse

from finance.models import Homestead
from grids.models import CreditRecord
from tests.factories import make
from villages.models import Township, Village

pytestmark = pytest.mark.django_db

LIST = "/finance/homesteads/"


def parcel(village, n):
    return Homestead.objects.create(
        village=village, parcel_code=f"{village.code}JC{n:05d}", holder_name="张三", holder_id_number="370830199001011236",
        area="100.00", use="idle", surveyed_on=dt.date(2023, 5, 1))


def box(html, name="village"):
    found = re.search(rf'<input type="text" name="{name}"[^>]*>', html)
    assert found, f"no box {name}"
    return dict(re.findall(r'([\w-]+)="([^"]*)"', found.group(0)))


@pytest.fixture
def many(township_a, township_b, village_a, village_b):
    """250 more villages in each township, all with 张 in their name."""
    for township in (township_a, township_b):
        Village.objects.bulk_create(Village(township=township, code=f"{township.code}{300 + i:03d}", name=f"张{i}庄村") for i in range(250))
    return village_a, village_b


def test_the_chooser_finds_villages_by_name_and_code_in_the_user_s_township_only(client, staff_a, official, many):
    village_a, _ = many
    url = reverse("lookup", args=["villages.village"])
    client.force_login(staff_a)
    found = client.get(url, {"q": "张1"}).json()
    ids = [r["id"] for r in found["results"]]
    assert len(ids) == 20 and found["more"]  # a page of suggestions, never the 500
    assert set(Village.objects.filter(pk__in=ids).values_list("township__code", flat=True)) == {"370830104"}
    assert client.get(url, {"q": "370830102"}).json()["results"] == []  # another township's codes find nothing
    assert client.get(url, {"q": "370830104201"}).json()["results"] == [{"id": village_a.pk, "text": "东石楼村（寅寺镇）"}]
    client.force_login(official)
    ids = [r["id"] for r in client.get(url, {"q": "张17"}).json()["results"]]
    assert set(Village.objects.filter(pk__in=ids).values_list("township__code", flat=True)) == {"370830104", "370830102"}


def test_the_filter_form_holds_a_box_not_500_villages(client, official, many):
    client.force_login(official)
    html = client.get(LIST).content.decode()
    assert '<select name="village"' not in html and "张249庄村" not in html
    attrs = box(html)
    assert attrs["value"] if "value" in attrs else True
    assert attrs["data-lookup-url"] == "/lookup/villages.village/" and attrs["placeholder"] == "代码"
    assert attrs["data-lookup-placeholder"] and attrs["autocomplete"] == "off"


def test_a_village_code_typed_filters_the_list_as_its_id_does(client, official, many):
    village_a, village_b = many
    mine, theirs = parcel(village_a, 1), parcel(village_b, 2)
    client.force_login(official)
    for value in (village_a.code, f" {village_a.code} ", str(village_a.pk)):
        response = client.get(LIST, {"village": value})
        assert response.context["filterset"].is_valid(), value
        assert [o.pk for o in response.context["page"].object_list] == [mine.pk], value
        attrs = box(response.content.decode())
        assert attrs["value"] == village_a.code and attrs["data-lookup-text"] == "东石楼村（寅寺镇）"  # the code, shown back
    assert theirs.pk not in [o.pk for o in client.get(LIST, {"village": village_a.code}).context["page"].object_list]


def test_another_township_s_village_code_is_refused_next_to_the_field(client, staff_a, many):
    village_a, village_b = many
    parcel(village_a, 1)
    theirs = parcel(village_b, 2)
    client.force_login(staff_a)
    for value in (village_b.code, str(village_b.pk), "370830999999", "abc"):
        response = client.get(LIST, {"village": value})
        assert not response.context["filterset"].is_valid() and "village" in response.context["filterset"].errors, value
        html = response.content.decode()
        assert theirs.parcel_code not in html and "南旺村" not in html, value


def test_households_people_and_enterprises_are_chosen_the_same_way(client, admin_user, township_a):
    record = make(CreditRecord, township_a)
    other = make(CreditRecord, township_a, 1)
    client.force_login(admin_user)
    url = reverse("grids:creditrecord_list")
    attrs = box(client.get(url).content.decode(), "household")
    assert attrs["data-lookup-url"] == "/lookup/grids.household/" and attrs["placeholder"] == "编号"
    response = client.get(url, {"household": record.household_id})
    assert [o.pk for o in response.context["page"].object_list] == [record.pk] != [other.pk]
    assert box(response.content.decode(), "household")["data-lookup-text"].startswith(record.household.head_name)
    for plural, name, url_label in (("pairings", "enterprise", "alliances.enterprise"), ("training-attendance", "person", "talent.person")):
        from wenshang.web.portal import REGISTRY

        html = client.get(REGISTRY[plural].list_url()).content.decode()
        assert box(html, name)["data-lookup-url"] == f"/lookup/{url_label}/", plural


def test_the_box_works_in_english_too(client, official, many):
    village_a, _ = many
    client.force_login(official)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    attrs = box(client.get(LIST, {"village": village_a.code}).content.decode())
    assert attrs["placeholder"] == "Code" and attrs["value"] == village_a.code
    assert Township.objects.count() == 2
