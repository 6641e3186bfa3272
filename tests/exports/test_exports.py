"""Export of list pages to CSV and XLSX: columns, filters, scope, masking, the access log, queries."""
import csv
import io
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from talent.models import Person, Returnee
from villages.models import Project, Village
from wenshang.kernel.choices import Role
from wenshang.kernel.models import PersonalDataAccess
from wenshang.web.filters import PortalFilterSet
from wenshang.web.portal import REGISTRY, ModelViews

pytestmark = pytest.mark.django_db
PEOPLE = "export-test-people"


def id_number(n):
    from wenshang.kernel.validators import id_check_char

    first = f"370830199001011{n:02d}"
    return first + id_check_char(first)


@pytest.fixture
def people_views():
    """A list page of people (the talent app's own may not be declared yet): a config registered
    for the test only."""

    class PersonFilterSet(PortalFilterSet):
        search_fields = ("name",)

        class Meta:
            model = Person
            fields = ["q", "village"]

    class PersonExportViews(ModelViews):
        model = Person
        plural = PEOPLE
        filterset_class = PersonFilterSet
        columns = ("name", "village", "phone")
        select_related = ("village",)
        in_menu = False

    yield PersonExportViews
    REGISTRY.pop(PEOPLE, None)


@pytest.fixture
def people(township_a, township_b, village_a, village_b):
    return [
        Person.objects.create(name="张三", id_number=id_number(1), phone="13812345678", township=township_a, village=village_a),
        Person.objects.create(name="李四", id_number=id_number(2), phone="13912345678", township=township_a, village=village_a),
        Person.objects.create(name="王五", id_number=id_number(3), phone="13712345678", township=township_b, village=village_b),
    ]


def make_villages(township, n, start=0, tier="model"):
    return [
        Village.objects.create(township=township, code=f"{township.code}{300 + start + i:03d}", name=f"导出{start + i}村", tier=tier)
        for i in range(n)
    ]


def url(plural, fmt, **params):
    name = "export_csv" if fmt == "csv" else "export_xlsx"
    from django.utils.http import urlencode

    return reverse(name, args=[plural]) + (f"?{urlencode(params)}" if params else "")


def read_csv(response):
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM: Excel and WPS read UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def read_xlsx(response):
    content = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


# -- contents ---------------------------------------------------------------------------------
def test_csv_has_chinese_headers_and_the_filtered_rows(client, staff_a, township_a, village_a, village_b):
    make_villages(township_a, 2, tier="model")
    make_villages(township_a, 1, start=5, tier="foundation")
    client.force_login(staff_a)
    response = client.get(url("villages", "csv", tier="model"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"] and ".csv" in response["Content-Disposition"]
    rows = read_csv(response)
    header = rows[0]
    assert header[:4] == ["名称", "区划代码", "镇（街道）", "类型"]  # the list's columns first, in Chinese
    assert "面积（平方公里）" in header and "创建时间" not in header  # other useful fields; not the timestamps
    names = [r[0] for r in rows[1:]]
    assert names == ["导出0村", "导出1村"]  # tier=model only; 东石楼村 is "excellence"
    row = dict(zip(header, rows[1]))
    assert row["镇（街道）"] == "寅寺镇" and row["村党组织分类"] == "示范" and row["脱贫村"] == "否"


def test_search_and_sort_follow_the_list(client, staff_a, township_a, village_a):
    make_villages(township_a, 3)
    client.force_login(staff_a)
    rows = read_csv(client.get(url("villages", "csv", q="导出", sort="-code")))
    assert [r[0] for r in rows[1:]] == ["导出2村", "导出1村", "导出0村"]
    rows = read_csv(client.get(url("villages", "csv", q="东石楼")))
    assert [r[0] for r in rows[1:]] == ["东石楼村"]


def test_another_townships_rows_are_absent(client, staff_b, official, village_a, village_b):
    client.force_login(staff_b)
    rows = read_csv(client.get(url("villages", "csv")))
    assert [r[0] for r in rows[1:]] == ["南旺村"]
    client.force_login(official)
    rows = read_csv(client.get(url("villages", "csv")))
    assert sorted(r[0] for r in rows[1:]) == ["东石楼村", "南旺村"]


def test_xlsx_contents(client, staff_a, township_a, village_a):
    village_a.households = 321
    village_a.save()
    client.force_login(staff_a)
    response = client.get(url("villages", "xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert ".xlsx" in response["Content-Disposition"]
    rows = read_xlsx(response)
    header = rows[0]
    assert header[:3] == ["名称", "区划代码", "镇（街道）"]
    assert len(rows) == 2
    row = dict(zip(header, rows[1]))
    assert row["名称"] == "东石楼村" and row["户数"] == 321  # numbers stay numbers
    assert row["类型"] == "行政村"


def test_related_names_and_many_to_many(client, staff_a, township_a, village_a):
    project = Project.objects.create(name="=HYPERLINK(\"x\")", kind="other", township=township_a, investment=1000)
    project.villages.add(village_a)
    client.force_login(staff_a)
    rows = read_csv(client.get(url("projects", "csv")))
    row = dict(zip(rows[0], rows[1]))
    assert row["覆盖村"] == "东石楼村" and row["牵头镇（街道）"] == "寅寺镇"
    assert row["名称"].startswith("'=")  # never run as a formula
    rows = read_xlsx(client.get(url("projects", "xlsx")))
    assert rows[1][0] == '=HYPERLINK("x")'  # a text cell, not a formula


# -- personal data ------------------------------------------------------------------------------
def test_staff_get_masked_numbers(client, staff_a, people, people_views):
    client.force_login(staff_a)
    rows = read_csv(client.get(url(PEOPLE, "csv")))
    header = rows[0]
    assert "身份证号码" in header
    data = [dict(zip(header, r)) for r in rows[1:]]
    assert sorted(r["姓名"] for r in data) == ["张三", "李四"]  # 王五 is of township B
    for r in data:
        assert r["身份证号码"].startswith("370830********") and len(r["身份证号码"]) == 18
        assert "*" in r["手机号码"]
    assert data[0]["身份证号码"] == "370830********" + people[0].id_number[-4:]
    assert not PersonalDataAccess.objects.exists()
    rows = read_xlsx(client.get(url(PEOPLE, "xlsx")))
    assert all("********" in str(cell) for cell in (dict(zip(rows[0], r))["身份证号码"] for r in rows[1:]))


def test_privileged_user_gets_clear_numbers_and_the_export_is_recorded(client, make_user, township_a, people, people_views):
    clerk = make_user("clerk", role=Role.TOWNSHIP, township=township_a, sees_personal_data=True)
    client.force_login(clerk)
    rows = read_csv(client.get(url(PEOPLE, "csv", q="张")))
    data = [dict(zip(rows[0], r)) for r in rows[1:]]
    assert [(r["姓名"], r["身份证号码"], r["手机号码"]) for r in data] == [("张三", people[0].id_number, "13812345678")]
    access = PersonalDataAccess.objects.get()
    assert access.user == clerk and access.context == f"export:{PEOPLE}"
    assert access.object_ids == [people[0].pk] and set(access.fields) == {"id_number", "phone"}
    read_xlsx(client.get(url(PEOPLE, "xlsx")))
    assert PersonalDataAccess.objects.count() == 2
    assert sorted(PersonalDataAccess.objects.first().object_ids) == sorted([people[0].pk, people[1].pk])


def test_personal_data_of_a_related_record(client, make_user, staff_a, township_a, people):
    """A column reaching into another record (a returnee's person's ID number) is masked and recorded too."""

    class ReturneeExportViews(ModelViews):
        model = Returnee
        plural = "export-test-returnees"
        columns = ("person", "person__id_number", "from_city")
        in_menu = False

    try:
        Returnee.objects.create(person=people[0], returned_on="2023-05-01", from_city="北京", role="entrepreneur")
        client.force_login(staff_a)
        rows = read_csv(client.get(url("export-test-returnees", "csv")))
        assert rows[0][:3] == ["人员", "身份证号码", "返乡前所在城市"]
        assert rows[1][0] == "张三" and rows[1][1] == "370830********" + people[0].id_number[-4:]
        assert not PersonalDataAccess.objects.exists()
        client.force_login(make_user("clerk", role=Role.TOWNSHIP, township=township_a, sees_personal_data=True))
        rows = read_csv(client.get(url("export-test-returnees", "csv")))
        assert rows[1][1] == people[0].id_number
        access = PersonalDataAccess.objects.get()
        assert access.content_type == ContentType.objects.get_for_model(Person)
        assert access.object_ids == [people[0].pk] and access.fields == ["id_number"]
        assert access.context == "export:export-test-returnees"
    finally:
        REGISTRY.pop("export-test-returnees", None)


# -- cost -------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("plural", ["villages", "projects", PEOPLE])
def test_a_fixed_number_of_queries(client, staff_a, township_a, village_a, people_views, fmt, plural):
    def add(n, start):
        for i in range(start, start + n):
            if plural == "villages":
                make_villages(township_a, 1, start=i)
            elif plural == "projects":
                Project.objects.create(name=f"项目{i}", kind="other", township=township_a).villages.add(village_a)
            else:
                Person.objects.create(name=f"人{i}", id_number=id_number(i), township=township_a, village=village_a)

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url(plural, fmt))
            body = b"".join(response.streaming_content)
        assert response.status_code == 200 and body
        return len(queries)

    client.force_login(staff_a)
    add(1, 0)
    client.get(url(plural, fmt))  # warm up (content types)
    one = count()
    add(19, 1)
    assert count() == one


# -- access and buttons -----------------------------------------------------------------------
def test_export_needs_login_and_a_known_list(client, staff_a):
    response = client.get(url("villages", "csv"))
    assert response.status_code == 302 and reverse("login") in response["Location"]
    client.force_login(staff_a)
    assert client.get(url("no-such-things", "csv")).status_code == 404


def test_list_page_has_export_buttons_keeping_the_query(client, staff_a, village_a):
    client.force_login(staff_a)
    html = client.get(reverse("villages:village_list") + "?tier=model&page=1").content.decode()
    assert reverse("export_xlsx", args=["villages"]) + "?tier=model" in html
    assert reverse("export_csv", args=["villages"]) + "?tier=model" in html


def test_money_stays_a_number_with_a_thousands_format_in_xlsx(client, staff_a, township_a, village_a):
    Project.objects.create(name="光伏项目", kind="other", township=township_a, investment=Decimal("371360000.00"))
    client.force_login(staff_a)
    content = b"".join(client.get(url("projects", "xlsx")).streaming_content)
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    headers = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=headers.index("总投资（元）") + 1)
    assert cell.value == 371360000 and cell.number_format == "#,##0.00"
    assert sheet.cell(row=2, column=headers.index("带动就业（人）") + 1).number_format == "General"
    rows = read_csv(client.get(url("projects", "csv")))
    assert dict(zip(rows[0], rows[1]))["总投资（元）"] == "371360000.00"  # CSV: the number as it is
    from villages.views import ProjectViews

    list_page = client.get(ProjectViews.list_url()).content.decode()
    assert "3.71亿元" in list_page and "371360000" not in list_page
