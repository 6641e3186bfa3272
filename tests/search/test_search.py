"""The global search: pinyin initials and full pinyin, codes, names, scope, the index kept current."""
import time

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from alliances.models import Alliance, Enterprise
from talent.models import Person
from villages.models import Project, Village
from wenshang.kernel.validators import credit_check_char, id_check_char
from wenshang.web import search
from wenshang.web.models import SearchEntry

pytestmark = pytest.mark.django_db


def names(groups, kind=None):
    return [e.name for g in groups if kind is None or g["kind"] == kind for e in g["entries"]]


def id_number(first17="37083019900101123"):
    return first17 + id_check_char(first17)


def credit_code(first17="91370830MA3C12345"):
    return first17 + credit_check_char(first17)


@pytest.fixture
def person_a(township_a, village_a):
    return Person.objects.create(name="张三丰", id_number=id_number(), phone="13812345678", township=township_a, village=village_a)


def test_initials_find_the_village(admin_user, village_a, village_b):
    assert names(search.search(admin_user, "dsl"), "village") == ["东石楼村"]
    assert names(search.search(admin_user, "DSL"), "village") == ["东石楼村"]  # case-insensitive
    assert names(search.search(admin_user, "dslc"), "village") == ["东石楼村"]


def test_full_pinyin_finds_the_village(admin_user, village_a, village_b):
    assert names(search.search(admin_user, "dongshilou"), "village") == ["东石楼村"]
    assert names(search.search(admin_user, "DongShiLou"), "village") == ["东石楼村"]
    assert names(search.search(admin_user, "nanwang"), "village") == ["南旺村"]


def test_name_and_code_prefix(admin_user, village_a, village_b):
    assert names(search.search(admin_user, "石楼"), "village") == ["东石楼村"]
    assert names(search.search(admin_user, "370830104"), "village") == ["东石楼村"]
    assert set(names(search.search(admin_user, "3708301"), "village")) == {"东石楼村", "南旺村"}
    assert names(search.search(admin_user, "104201"), "village") == []  # a prefix, not any part


def test_polyphonic_names_are_found_by_either_reading(admin_user, township_a):
    Village.objects.create(township=township_a, code="370830104230", name="长沟村")
    assert names(search.search(admin_user, "changgou"), "village") == ["长沟村"]
    assert names(search.search(admin_user, "cgc"), "village") == ["长沟村"]
    assert names(search.search(admin_user, "zhanggou"), "village") == ["长沟村"]


def test_person_by_name_and_pinyin_never_by_id_number(admin_user, person_a):
    assert names(search.search(admin_user, "张三丰"), "person") == ["张三丰"]
    assert names(search.search(admin_user, "zsf"), "person") == ["张三丰"]
    assert names(search.search(admin_user, "zhangsan"), "person") == ["张三丰"]
    assert search.search(admin_user, person_a.id_number) == []
    assert search.search(admin_user, person_a.id_number[:10]) == []
    entry = SearchEntry.objects.get(kind="person", object_id=person_a.pk)
    assert entry.code == "" and person_a.id_number not in " ".join([entry.name, entry.detail, entry.pinyin, entry.initials])
    assert entry.detail == "东石楼村"


def test_enterprise_alliance_and_project(admin_user, township_a, village_a):
    code = credit_code()
    Enterprise.objects.create(name="济宁金穗科技有限公司", credit_code=code, township=None)
    Alliance.objects.create(name="寅寺镇共富联盟", scope="township", township=township_a, founded_on="2022-01-01")
    project = Project.objects.create(name="东石楼村冷链物流项目", kind="other", township=township_a)
    project.villages.add(village_a)
    assert names(search.search(admin_user, code[:8]), "enterprise") == ["济宁金穗科技有限公司"]
    assert names(search.search(admin_user, code[:8].lower()), "enterprise") == ["济宁金穗科技有限公司"]
    assert names(search.search(admin_user, "jnjs"), "enterprise") == ["济宁金穗科技有限公司"]
    assert names(search.search(admin_user, "共富"), "alliance") == ["寅寺镇共富联盟"]
    groups = search.search(admin_user, "dsl")
    assert [g["kind"] for g in groups] == ["village", "project"]  # grouped, in a fixed order
    assert names(groups, "project") == ["东石楼村冷链物流项目"]


def test_township_staff_find_only_their_township(staff_a, staff_b, official, village_a, village_b, person_a, township_a):
    Enterprise.objects.create(name="县域共享企业", credit_code=credit_code("91370830MA3C54321"), township=None)
    Enterprise.objects.create(name="寅寺企业", credit_code=credit_code("91370830MA3C99999"), township=township_a)
    assert names(search.search(staff_a, "dsl"), "village") == ["东石楼村"]
    assert search.search(staff_b, "dsl") == []
    assert search.search(staff_b, "张三丰") == []
    assert names(search.search(staff_b, "nanwang")) == ["南旺村"]
    assert names(search.search(staff_b, "企业"), "enterprise") == ["县域共享企业"]  # county-wide: shared
    assert set(names(search.search(staff_a, "企业"), "enterprise")) == {"县域共享企业", "寅寺企业"}
    assert set(names(search.search(official, "村"), "village")) == {"东石楼村", "南旺村"}


def test_results_are_limited_per_kind(admin_user, township_a):
    Village.objects.bulk_create([Village(township=township_a, code=f"370830104{300 + n}", name=f"东{n}村") for n in range(30)])
    search.rebuild()
    groups = search.search(admin_user, "东")
    assert len(groups[0]["entries"]) == search.PER_KIND and groups[0]["more"] is True


def test_index_follows_create_rename_delete(admin_user, township_a, person_a):
    village = Village.objects.create(township=township_a, code="370830104240", name="西石楼村")
    assert names(search.search(admin_user, "xsl"), "village") == ["西石楼村"]
    village.name = "北石楼村"
    village.save()
    assert search.search(admin_user, "xsl") == []
    assert names(search.search(admin_user, "bsl"), "village") == ["北石楼村"]
    assert SearchEntry.objects.filter(kind="village", object_id=village.pk).count() == 1
    person_a.village = village
    person_a.save()
    assert SearchEntry.objects.get(kind="person", object_id=person_a.pk).detail == "北石楼村"
    village.name = "南石楼村"
    village.save()  # the people of a renamed village show its new name
    assert SearchEntry.objects.get(kind="person", object_id=person_a.pk).detail == "南石楼村"
    village_pk, person_pk = village.pk, person_a.pk
    person_a.delete()
    village.delete()
    assert search.search(admin_user, "nsl") == []
    assert search.search(admin_user, "张三丰") == []
    assert not SearchEntry.objects.filter(kind="village", object_id=village_pk).exists()
    assert not SearchEntry.objects.filter(kind="person", object_id=person_pk).exists()


def test_rebuild_fills_the_whole_index(admin_user, village_a, village_b, person_a, township_a):
    Enterprise.objects.create(name="济宁金穗科技有限公司", credit_code=credit_code(), township=township_a)
    SearchEntry.objects.all().delete()
    assert search.search(admin_user, "dsl") == []
    counts = search.rebuild()
    assert counts == {"village": 2, "person": 1, "enterprise": 1, "alliance": 0, "project": 0}
    assert SearchEntry.objects.count() == 4
    assert names(search.search(admin_user, "dsl"), "village") == ["东石楼村"]
    entry = SearchEntry.objects.get(content_type=ContentType.objects.get_for_model(Village), object_id=village_a.pk)
    assert (entry.kind, entry.code, entry.initials, entry.township_id) == ("village", "370830104201", "dslc", village_a.township_id)
    assert search.rebuild() == counts  # idempotent


def test_rebuild_is_fast(township_a):
    """About ten thousand people and 346 villages in a few seconds (the demo county: ~1.5 s)."""
    Person.objects.bulk_create([
        Person(name=f"{'赵钱孙李周吴郑王冯陈'[n % 10]}{'建国秀英志强桂兰'[n % 8]}{n}", township=township_a) for n in range(3000)
    ])
    started = time.perf_counter()
    counts = search.rebuild()
    assert counts["person"] == 3000
    assert time.perf_counter() - started < 5


def test_pinyin_of():
    assert search.pinyin_of("东石楼村") == ("dongshiloucun", "dslc")
    full, initials = search.pinyin_of("ABC农业2号")
    assert full.startswith("abcnongye2hao") and initials.startswith("abcny2h")
    assert search.pinyin_of("") == ("", "")


# -- the page -----------------------------------------------------------------------------------
def test_results_page_groups_and_links(client, staff_a, village_a, village_b, person_a):
    client.force_login(staff_a)
    response = client.get(reverse("search"), {"q": "dsl"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="results-village"' in html and "东石楼村" in html and "南旺村" not in html
    assert reverse("villages:village_detail", args=[village_a.pk]) in html
    assert person_a.id_number not in html


def test_results_page_empty_and_nothing_found(client, staff_a, village_a):
    client.force_login(staff_a)
    assert client.get(reverse("search")).status_code == 200
    response = client.get(reverse("search"), {"q": "zzzzqqq"})
    assert response.status_code == 200 and response.context["groups"] == []


def test_results_page_needs_login(client, village_a):
    response = client.get(reverse("search"), {"q": "dsl"})
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_navbar_has_the_search_box(client, staff_a):
    client.force_login(staff_a)
    html = client.get(reverse("villages:village_list")).content.decode()
    assert f'action="{reverse("search")}"' in html and 'name="q"' in html


def test_search_runs_one_query_per_kind(admin_user, village_a, person_a, django_assert_max_num_queries):
    with django_assert_max_num_queries(len(search.KINDS)):
        search.search(admin_user, "dsl")
