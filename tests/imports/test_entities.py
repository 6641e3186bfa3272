"""Every importable entity: its template, a valid row written, the same row again changing
nothing; and the rules particular to some (credit totals, one current secretary, tiers, projects'
villages, people's birth date from the ID number).

The valid rows live with their app's tests: ``tests/<app>/import_rows.py`` holds a dict ``ROWS``
({entity plural: [row, …]}), collected below from every such module. A new importable entity's
row goes into its app's module; the codes and numbers the rows use (``T``, ``V``, ``P1``,
``CREDIT`` …) are in ``tests/imports/fixtures_data.py``, and the ``world`` fixture creates the
records they refer to."""
import datetime as dt
import importlib
import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from alliances.models import Enterprise, JointCommittee, Pairing
from finance.models import Homestead, Loan
from grids.models import CreditRecord, Grid, Household
from talent.models import Person, RecruitingStation, Training, VillageSecretary
from tests.imports.fixtures_data import CREDIT, CREDIT2, H1, P1, P2, P3, V2, T, V
from villages.models import Project, Village
from wenshang import imports
from wenshang.kernel.models import ObjectChange

from .conftest import table

pytestmark = pytest.mark.django_db
TESTS = Path(__file__).resolve().parent.parent  # tests/


@pytest.fixture
def world(township_a, village_a):
    """The records the rows below refer to, all in township A."""
    village_a2 = Village.objects.create(township=township_a, code=V2, name="西石楼村")
    grid = Grid.objects.create(village=village_a, code=V + "001", name="第一网格")
    enterprise = Enterprise.objects.create(name="汶上县示例农业有限公司", credit_code=CREDIT, township=township_a)
    person = Person.objects.create(name="吴示例", id_number=P1, township=township_a, village=village_a)
    household = Household.objects.create(grid=grid, head_name="周示例", head_id_number=H1)
    Training.objects.create(name="2024年高素质农民培训班", kind="high_quality_farmer", organizer="县农业农村局", township=township_a,
                            start_date=dt.date(2024, 3, 1), end_date=dt.date(2024, 3, 10))
    RecruitingStation.objects.create(name="济南回引工作站", city="济南", established_on=dt.date(2021, 5, 1))
    JointCommittee.objects.create(name="寅寺镇运河片区联合党委", township=township_a, county_leader="李县长",
                                  established_on=dt.date(2021, 5, 1))
    Pairing.objects.create(enterprise=enterprise, village=village_a, mode="projects", path="specialty", start_date=dt.date(2022, 1, 1))
    parcel = Homestead.objects.create(village=village_a, parcel_code=V + "JC00001", holder_name="周示例", holder_id_number=H1,
                                      area=Decimal("180"), surveyed_on=dt.date(2022, 5, 1))
    Project.objects.create(name="东石楼村大棚项目", kind="other", township=township_a)
    made = {"village2": village_a2, "grid": grid, "enterprise": enterprise, "person": person, "household": household, "parcel": parcel}
    for module in _row_modules():  # an app's rows may need records of its own: ``records(township, village, made)``
        if hasattr(module, "records"):
            made.update(module.records(township_a, village_a, made) or {})
    return made


def _row_modules():
    """Every ``tests/<app>/import_rows.py``: a dict ``ROWS`` and, optionally, ``records(township, village, made)``
    making the further records its rows refer to (returning a dict of them)."""
    return [importlib.import_module(f"tests.{path.parent.name}.import_rows") for path in sorted(TESTS.glob("*/import_rows.py"))]


def _rows():
    """The rows of every ``tests/<app>/import_rows.py`` (its dict ``ROWS``), in one dict."""
    rows = {}
    for module in _row_modules():
        if twice := set(rows) & set(module.ROWS):
            raise RuntimeError(f"{module.__name__}: rows of {sorted(twice)} already given")
        rows.update(module.ROWS)
    return rows


ROWS = _rows()


def write(files, entity, rows, fmt="csv"):
    spec = imports.get_spec(entity)
    data = table([c.header for c in spec.columns], rows)
    return files.xlsx(data) if fmt == "xlsx" else files.csv(data)


def test_every_entity_of_the_issue_is_importable():
    assert set(ROWS) <= set(imports.SPECS)
    assert set(imports.SPECS) == set(ROWS)


@pytest.mark.parametrize("entity", sorted(ROWS))
def test_a_valid_row_is_written_once(entity, files, world, staff_a):
    spec = imports.get_spec(entity)
    model = spec.model
    before = model.objects.count()
    logged = ObjectChange.objects.filter(content_type__model=model._meta.model_name).count()
    fmt = "xlsx" if len(entity) % 2 else "csv"
    path = write(files, entity, ROWS[entity], fmt)
    result = imports.import_file(entity, path, staff_a)
    assert result.ok, result.problems
    assert result.created == len(ROWS[entity])
    assert model.objects.count() == before + len(ROWS[entity])
    assert ObjectChange.objects.filter(content_type__model=model._meta.model_name).count() > logged
    again = imports.import_file(entity, path, staff_a)
    assert (again.ok, again.created, again.updated, again.unchanged) == (True, 0, 0, len(ROWS[entity])), again.problems
    assert model.objects.count() == before + len(ROWS[entity])


@pytest.mark.parametrize("entity", sorted(ROWS))
def test_the_template(entity, db, staff_a):
    spec = imports.get_spec(entity)
    wb = openpyxl.load_workbook(io.BytesIO(imports.template_xlsx(entity)))
    data = wb["数据"]
    assert wb.sheetnames[0] == "数据"
    headers = [c.value for c in data[1]]
    assert headers == [c.header for c in spec.columns]
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in h) for h in headers)  # Chinese headers
    assert [c.value or "" for c in data[2]] == spec.example_row()
    notes = wb["说明"]
    described = [notes.cell(row=r, column=1).value for r in range(1, notes.max_row + 1)]
    assert all(h in described for h in headers)
    assert wb["选项"].sheet_state == "hidden"


@pytest.mark.parametrize("entity", sorted(ROWS))
def test_the_template_as_downloaded_is_refused_for_its_example_row(entity, world, staff_a, tmp_path):
    path = tmp_path / "template.xlsx"
    path.write_bytes(imports.template_xlsx(entity))
    result = imports.import_file(entity, path, staff_a)
    assert "example_row" in [p["code"] for p in result.problems]
    assert not result.written


def test_people_get_birth_date_and_gender_from_the_id_number(files, world, staff_a):
    imports.import_file("people", write(files, "people", ROWS["people"]), staff_a)
    person = Person.objects.get(id_number=P3)
    assert (person.birth_date, person.gender, person.is_party_member, person.education) == (dt.date(1978, 4, 5), "M", True, "bachelor")


def test_people_need_an_id_number_to_be_imported(files, world, staff_a):
    result = imports.import_file("people", write(files, "people", [{**ROWS["people"][0], "身份证号码": ""}]), staff_a)
    assert [(p["column"], p["code"]) for p in result.problems] == [("身份证号码", "required")]


def test_credit_records_update_the_household_total(files, world, staff_a):
    rows = ROWS["credit-records"] + [{"户主身份证号码": H1, "日期": "2024-04-01", "类别": "扣分", "分值": "-2", "原因": "乱堆乱放"}]
    path = write(files, "credit-records", rows)
    assert imports.import_file("credit-records", path, staff_a).created == 2
    household = Household.objects.get()
    assert household.credit_points == 3
    assert imports.import_file("credit-records", path, staff_a).unchanged == 2
    household.refresh_from_db()
    assert household.credit_points == 3
    rows[0]["分值"] = "10"
    assert imports.import_file("credit-records", write(files, "credit-records", rows), staff_a).updated == 1
    household.refresh_from_db()
    assert household.credit_points == 8
    assert CreditRecord.objects.count() == 2


def test_a_deduction_must_be_negative(files, world, staff_a):
    rows = [{"户主身份证号码": H1, "日期": "2024-04-01", "类别": "扣分", "分值": "2", "原因": "乱堆乱放"}]
    result = imports.import_file("credit-records", write(files, "credit-records", rows), staff_a)
    assert [(p["column"], p["code"]) for p in result.problems] == [("分值", "clean")]


def test_a_village_has_one_current_secretary(files, world, staff_a):
    other = Person.objects.create(name="前任", id_number=P2, township=world["person"].township)
    VillageSecretary.objects.create(person=other, village=world["person"].village, start_date=dt.date(2018, 1, 1))
    result = imports.import_file("village-secretaries", write(files, "village-secretaries", ROWS["village-secretaries"]), staff_a)
    assert [(p["column"], p["code"]) for p in result.problems] == [("离任日期", "current_secretary")]
    assert "前任" in result.problems[0]["message"]
    # Ending the previous term in the same file makes room for the new one.
    rows = [{"身份证号码": P2, "村代码": V, "任职日期": "2018-01-01", "离任日期": "2020-12-31", "书记、主任“一肩挑”": "是"},
            *ROWS["village-secretaries"]]
    result = imports.import_file("village-secretaries", write(files, "village-secretaries", rows), staff_a)
    assert result.ok, result.problems
    assert (result.created, result.updated) == (1, 1)
    assert VillageSecretary.objects.filter(end_date__isnull=True).get().person.id_number == P1


def test_two_current_secretaries_of_one_village_in_a_file(files, world, staff_a):
    Person.objects.create(name="另一人", id_number=P2, township=world["person"].township)
    rows = [*ROWS["village-secretaries"], {"身份证号码": P2, "村代码": V, "任职日期": "2022-01-01", "书记、主任“一肩挑”": "否"}]
    result = imports.import_file("village-secretaries", write(files, "village-secretaries", rows), staff_a)
    assert [(p["row"], p["code"]) for p in result.problems] == [(3, "current_secretary")]


def test_a_villages_tier_is_not_changed_by_an_import(files, world, staff_a):
    village = Village.objects.get(code=V)
    row = {"镇街代码": T, "村代码": V, "村名称": village.name, "类型": "行政村", "村党组织分类": "示范", "户数": "0", "人口": "0", "脱贫村": "否"}
    result = imports.import_file("villages", write(files, "villages", [row]), staff_a)
    assert [(p["column"], p["code"]) for p in result.problems] == [("村党组织分类", "frozen")]
    row["村党组织分类"] = "创优"  # as it is: the rest may change
    row["户数"] = "321"
    result = imports.import_file("villages", write(files, "villages", [row]), staff_a)
    assert (result.ok, result.updated) == (True, 1)
    assert Village.objects.get(code=V).households == 321


def test_village_names_are_unique_in_a_township(files, world, staff_a):
    row = {**ROWS["villages"][0], "村名称": "东石楼村"}
    result = imports.import_file("villages", write(files, "villages", [row]), staff_a)
    assert [(p["column"], p["code"]) for p in result.problems] == [("村名称", "unique")]


def test_projects_keep_their_villages(files, world, staff_a):
    path = write(files, "projects", ROWS["projects"])
    assert imports.import_file("projects", path, staff_a).created == 1
    project = Project.objects.get(name="新项目")
    assert sorted(project.villages.values_list("code", flat=True)) == [V, V2]
    assert project.pairing.village.code == V and project.joint_committee.name == "寅寺镇运河片区联合党委"
    entries = ObjectChange.objects.filter(content_type__model="project", object_id=str(project.pk))
    assert sorted(entries.values_list("action", flat=True)) == ["create", "update"]
    assert imports.import_file("projects", path, staff_a).unchanged == 1
    row = {**ROWS["projects"][0], "服务村代码": V2}
    result = imports.import_file("projects", write(files, "projects", [row]), staff_a)
    assert (result.updated, result.unchanged) == (1, 0)
    assert list(project.villages.values_list("code", flat=True)) == [V2]
    last = entries.order_by("-pk").first()
    assert last.prechange_data["villages"] != last.postchange_data["villages"]


def test_a_pairing_project_needs_its_pairing(files, world, staff_a):
    row = {**ROWS["projects"][0], "联建企业信用代码": "", "联建村代码": ""}
    result = imports.import_file("projects", write(files, "projects", [row]), staff_a)
    assert [(p["column"], p["code"]) for p in result.problems] == [("联建企业信用代码", "clean")]


def test_a_composite_reference_needs_all_its_columns(files, world, staff_a):
    row = {**ROWS["projects"][0], "联建村代码": ""}
    result = imports.import_file("projects", write(files, "projects", [row]), staff_a)
    assert [(p["column"], p["code"]) for p in result.problems] == [("联建村代码", "required")]


def test_a_loan_on_a_parcel_of_another_village_is_refused(files, world, staff_a):
    row = {**ROWS["loans"][0], "村代码": V2}
    result = imports.import_file("loans", write(files, "loans", [row]), staff_a)
    assert [(p["column"], p["code"]) for p in result.problems] == [("抵押宗地代码", "clean")]
    assert Loan.objects.count() == 0


def test_references_outside_the_users_reach_are_not_found(files, world, staff_b, township_b, village_b):
    """A township user cannot reach a person of another township by ID number (nor learn that it exists)."""
    row = {"身份证号码": P1, "村代码": village_b.code, "培养联系人": "郑书记", "纳入储备日期": "2023-05-01", "状态": "培养中"}
    result = imports.import_file("reserve-cadres", write(files, "reserve-cadres", [row]), staff_b)
    assert [(p["column"], p["code"]) for p in result.problems] == [("身份证号码", "not_found")]


def test_imported_records_are_found_by_the_global_search(files, world, staff_a):
    from wenshang.web.models import SearchEntry

    imports.import_file("people", write(files, "people", ROWS["people"]), staff_a)
    imports.import_file("enterprises", write(files, "enterprises", ROWS["enterprises"]), staff_a)
    assert SearchEntry.objects.filter(kind="person", name="新人", detail="东石楼村").exists()
    assert SearchEntry.objects.filter(kind="enterprise", name="新企业", code=CREDIT2).exists()
    row = {"镇街代码": T, "村代码": V, "村名称": "东石楼新村", "类型": "行政村", "村党组织分类": "创优", "脱贫村": "否"}
    assert imports.import_file("villages", write(files, "villages", [row]), staff_a).updated == 1
    assert SearchEntry.objects.filter(kind="village", name="东石楼新村").exists()
    assert SearchEntry.objects.get(kind="person", name="新人").detail == "东石楼新村"


def test_village_targets_take_their_township_and_stay_within_the_user_s(files, world, staff_a, staff_b, township_a):
    from villages.models import Target

    path = write(files, "targets", ROWS["targets"])
    assert imports.import_file("targets", path, staff_a).ok
    assert sorted(Target.objects.values_list("village__code", "township_id", "value")) == [
        (V, township_a.pk, Decimal("300000.00")), (V2, township_a.pk, Decimal("4.00"))]
    refused = imports.import_file("targets", path, staff_b)  # another township's villages are not found
    assert not refused.ok and not refused.written
    blank = write(files, "targets", [{"年度": "2024", "指标": "回引人才（人）", "村代码": "", "目标值": "7"}])
    result = imports.import_file("targets", blank, staff_a)  # a village's target needs its village
    assert not result.ok and any(p["column"] == "村代码" for p in result.problems), result.problems
    wrong = write(files, "targets", [{"年度": "2024", "指标": "回引人才（人）", "村代码": V, "目标值": "1.5"}])
    result = imports.import_file("targets", wrong, staff_a)
    assert not result.ok
    assert any("整数" in p["message"] and p["column"] == "目标值" for p in result.problems), result.problems
