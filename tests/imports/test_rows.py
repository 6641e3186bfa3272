"""Checking rows: the model's validators and rules, natural keys, scope; and writing: all or
nothing, updates instead of duplicates, the change log."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from alliances.models import Enterprise
from finance.models import Homestead
from villages.models import CollectiveIncome
from wenshang import imports
from wenshang.kernel.models import ObjectChange
from wenshang.kernel.validators import validate_credit_code, validate_id_number, validate_non_negative

from .conftest import HOMESTEAD_HEADERS, INCOME_HEADERS, idn, income_row, parcel_row, table

pytestmark = pytest.mark.django_db

ENTERPRISE_HEADERS = ["企业名称", "统一社会信用代码", "镇街代码", "所属行业", "法定代表人", "地址", "成立日期"]
CREDIT = imports._credit("91370830MA3C00001")


def messages_of(validator, value):
    with pytest.raises(ValidationError) as exc:
        validator(value)
    return exc.value.messages


def log(model_name, action=None):
    qs = ObjectChange.objects.filter(content_type__model=model_name)
    return qs.filter(action=action) if action else qs


def test_a_good_file_is_written_with_its_change_log(files, staff_a, village_a):
    rows = [parcel_row(village_a.code, n) for n in (1, 2, 3)]
    result = imports.import_file("homesteads", files.csv(table(HOMESTEAD_HEADERS, rows)), staff_a, source="web")
    assert (result.ok, result.written, result.created, result.updated) == (True, True, 3, 0)
    parcel = Homestead.objects.get(parcel_code=f"{village_a.code}JC00002")
    assert parcel.village == village_a
    assert parcel.area == Decimal("186.5")
    assert parcel.use == "occupied"
    assert parcel.surveyed_on == dt.date(2024, 3, 5)
    assert parcel.certificate_no == "鲁（2021）汶上县不动产权第0000002号"
    entries = log("homestead", "create")
    assert entries.count() == 3
    entry = entries.get(object_id=str(parcel.pk))
    assert (entry.user, entry.user_name, entry.source, entry.township_id) == (staff_a, "staff_a", "web", village_a.township_id)
    assert entry.postchange_data["parcel_code"] == parcel.parcel_code
    assert entry.postchange_data["holder_id_number"] == parcel.holder_id_number


def test_importing_the_same_file_again_updates_nothing_and_adds_nothing(files, staff_a, village_a):
    path = files.csv(table(HOMESTEAD_HEADERS, [parcel_row(village_a.code, n) for n in (1, 2)]))
    imports.import_file("homesteads", path, staff_a)
    again = imports.import_file("homesteads", path, staff_a)
    assert (again.ok, again.created, again.updated, again.unchanged) == (True, 0, 0, 2)
    assert Homestead.objects.count() == 2
    assert log("homestead").count() == 2


def test_a_changed_row_updates_its_record_and_logs_before_and_after(files, staff_a, village_a):
    imports.import_file("homesteads", files.csv(table(HOMESTEAD_HEADERS, [parcel_row(village_a.code, n) for n in (1, 2)])), staff_a)
    changed = [parcel_row(village_a.code, 1, **{"面积（平方米）": "200.25", "用途": "闲置"}), parcel_row(village_a.code, 2)]
    result = imports.import_file("homesteads", files.xlsx(table(HOMESTEAD_HEADERS, changed)), staff_a)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    parcel = Homestead.objects.get(parcel_code=f"{village_a.code}JC00001")
    assert (parcel.area, parcel.use) == (Decimal("200.25"), "idle")
    assert Homestead.objects.count() == 2
    entry = log("homestead", "update").get()
    assert entry.object_id == str(parcel.pk)
    assert entry.prechange_data == {"area": "186.50", "use": "occupied"}
    assert entry.postchange_data == {"area": "200.25", "use": "idle"}
    assert entry.diff == {"area": ("186.50", "200.25"), "use": ("occupied", "idle")}
    assert entry.user == staff_a


def test_a_record_made_on_the_website_is_updated_by_its_natural_key(files, admin_user, village_a):
    CollectiveIncome.objects.create(village=village_a, year=2023, amount=100, operating=50)
    result = imports.import_file("collective-incomes", files.csv(table(INCOME_HEADERS, [income_row(village_a.code, 2023, "900", "300")])), admin_user)
    assert (result.created, result.updated) == (0, 1)
    assert CollectiveIncome.objects.get().amount == 900


def test_duplicate_rows_in_the_file_report_both_row_numbers(files, staff_a, village_a):
    rows = [parcel_row(village_a.code, 1), parcel_row(village_a.code, 2), parcel_row(village_a.code, 1)]
    result = imports.import_file("homesteads", files.csv(table(HOMESTEAD_HEADERS, rows)), staff_a)
    assert [(p["code"], p["row"], p["column"]) for p in result.problems] == [("duplicate_row", 4, "宗地代码")]
    assert "2" in result.problems[0]["message"] and "4" in result.problems[0]["message"]
    assert Homestead.objects.count() == 0


def test_a_township_user_may_not_import_a_village_of_another_township(files, staff_a, village_a, village_b):
    rows = [parcel_row(village_a.code, 1), parcel_row(village_b.code, 2)]
    result = imports.import_file("homesteads", files.csv(table(HOMESTEAD_HEADERS, rows)), staff_a)
    assert [(p["code"], p["row"], p["column"], p["value"]) for p in result.problems] == [("scope", 3, "村代码", village_b.code)]
    message = result.problems[0]["message"]
    # The village the file names is shown, its township is not (another township is never named).
    assert "南旺镇" not in message and "寅寺镇" in message and "南旺村" in message
    assert Homestead.objects.count() == 0
    assert log("homestead").count() == 0


def test_the_county_may_import_every_township(files, admin_user, village_a, village_b):
    rows = [parcel_row(village_a.code, 1), parcel_row(village_b.code, 2)]
    assert imports.import_file("homesteads", files.csv(table(HOMESTEAD_HEADERS, rows)), admin_user).created == 2


def test_a_township_user_may_not_change_a_record_of_another_township(files, staff_a, township_a, township_b):
    Enterprise.objects.create(name="南旺企业", credit_code=CREDIT, township=township_b)
    data = table(ENTERPRISE_HEADERS, [{"企业名称": "改名企业", "统一社会信用代码": CREDIT, "镇街代码": township_a.code}])
    result = imports.import_file("enterprises", files.csv(data), staff_a)
    assert [(p["code"], p["column"]) for p in result.problems] == [("scope", "统一社会信用代码")]
    # Neither whether nor where the record exists is told.
    assert result.problems[0]["message"] == "该统一社会信用代码无法在本镇（街道）导入，请与县里核实。"
    assert Enterprise.objects.get().name == "南旺企业"


def test_a_township_user_may_not_import_county_records(files, staff_a, township_a):
    data = table(ENTERPRISE_HEADERS, [{"企业名称": "县外企业", "统一社会信用代码": CREDIT, "镇街代码": ""}])
    result = imports.import_file("enterprises", files.csv(data), staff_a)
    assert [p["code"] for p in result.problems] == ["scope"]


def test_a_reader_may_not_import(files, official, village_a):
    with pytest.raises(PermissionDenied):
        imports.import_file("homesteads", files.csv(table(HOMESTEAD_HEADERS, [parcel_row(village_a.code, 1)])), official)


def test_a_department_editor_imports_their_domain_only(files, finance_editor, village_a):
    assert imports.import_file("homesteads", files.csv(table(HOMESTEAD_HEADERS, [parcel_row(village_a.code, 1)])), finance_editor).created == 1
    with pytest.raises(PermissionDenied):
        imports.import_file("collective-incomes", files.csv(table(INCOME_HEADERS, [income_row(village_a.code, 2023)])), finance_editor)


def test_invalid_id_numbers_get_the_validators_message(files, staff_a, village_a):
    good = idn("37083019700101001")
    wrong_check = good[:17] + ("1" if good[17] != "1" else "2")
    rows = [
        parcel_row(village_a.code, 1, 使用权人身份证号码=wrong_check),
        parcel_row(village_a.code, 2, 使用权人身份证号码="37083019701301001X"),
        parcel_row(village_a.code, 3, 使用权人身份证号码="12345"),
    ]
    result = imports.import_file("homesteads", files.csv(table(HOMESTEAD_HEADERS, rows)), staff_a)
    assert [(p["row"], p["col"], p["column"]) for p in result.problems] == [(2, "E", "使用权人身份证号码")] + [
        (r, "E", "使用权人身份证号码") for r in (3, 4)]
    assert [p["message"] for p in result.problems] == [
        messages_of(validate_id_number, wrong_check)[0],
        messages_of(validate_id_number, "37083019701301001X")[0],
        messages_of(validate_id_number, "12345")[0],
    ]
    assert "身份证" in result.problems[2]["message"]  # the Chinese message of the validator
    assert Homestead.objects.count() == 0


def test_invalid_credit_codes_get_the_validators_message(files, admin_user, township_a):
    data = table(ENTERPRISE_HEADERS, [{"企业名称": "示例企业", "统一社会信用代码": "91370830MA3C0000I1", "镇街代码": township_a.code}])
    result = imports.import_file("enterprises", files.csv(data), admin_user)
    assert [(p["row"], p["column"]) for p in result.problems] == [(2, "统一社会信用代码")]
    assert result.problems[0]["message"] == messages_of(validate_credit_code, "91370830MA3C0000I1")[0]
    assert Enterprise.objects.count() == 0


def test_negative_amounts(files, staff_a, village_a):
    rows = [income_row(village_a.code, 2022, amount="-100", operating="0"), income_row(village_a.code, 2023, amount="100", operating="-1")]
    result = imports.import_file("collective-incomes", files.csv(table(INCOME_HEADERS, rows)), staff_a)
    assert [(p["row"], p["column"]) for p in result.problems] == [(2, "集体收入（元）"), (3, "经营性收入（元）")]
    assert result.problems[0]["message"] == messages_of(validate_non_negative, -100)[0] == "金额不能为负数。"
    assert CollectiveIncome.objects.count() == 0


def test_the_models_clean_rules_apply(files, staff_a, village_a):
    rows = [income_row(village_a.code, 2023, amount="100", operating="200")]
    result = imports.import_file("collective-incomes", files.csv(table(INCOME_HEADERS, rows)), staff_a)
    assert [(p["row"], p["column"], p["code"]) for p in result.problems] == [(2, "经营性收入（元）", "clean")]
    with translation.override("en"):
        result = imports.import_file("collective-incomes", files.csv(table(INCOME_HEADERS, rows)), staff_a)
    assert result.problems[0]["message"] == "Operating income cannot exceed the total income."


def test_a_parcel_code_must_fit_its_village(files, staff_a, village_a):
    rows = [parcel_row(village_a.code, 1, 宗地代码="370830104202JC00001")]
    result = imports.import_file("homesteads", files.csv(table(HOMESTEAD_HEADERS, rows)), staff_a)
    assert [(p["column"], p["code"]) for p in result.problems] == [("宗地代码", "clean")]


def test_unknown_references_are_named(files, staff_a, village_a):
    rows = [parcel_row("370830104299", 1)]
    result = imports.import_file("homesteads", files.csv(table(HOMESTEAD_HEADERS, rows)), staff_a)
    assert [(p["code"], p["column"], p["value"]) for p in result.problems] == [("not_found", "村代码", "370830104299")]


def test_required_cells_and_bad_values_are_all_reported(files, staff_a, village_a):
    rows = [parcel_row(village_a.code, 1, 使用权人="", 用途="住人", 调查日期="去年", **{"面积（平方米）": "大约两百"})]
    result = imports.import_file("homesteads", files.csv(table(HOMESTEAD_HEADERS, rows)), staff_a)
    assert [(p["column"], p["code"]) for p in result.problems] == [
        ("使用权人", "required"), ("面积（平方米）", "number"), ("用途", "choice"), ("调查日期", "date")]


def test_serial_and_text_dates_in_a_workbook(files, staff_a, village_a):
    rows = [
        parcel_row(village_a.code, 1, 调查日期=45356),
        parcel_row(village_a.code, 2, 调查日期="2024/3/6"),
        parcel_row(village_a.code, 3, 调查日期="2024年3月7日"),
        parcel_row(village_a.code, 4, 调查日期=dt.date(2024, 3, 8)),
        parcel_row(village_a.code, 5, 调查日期="2024-03-09"),
    ]
    result = imports.import_file("homesteads", files.xlsx(table(HOMESTEAD_HEADERS, rows)), staff_a)
    assert result.ok, result.problems
    assert list(Homestead.objects.order_by("parcel_code").values_list("surveyed_on", flat=True)) == [
        dt.date(2024, 3, d) for d in (5, 6, 7, 8, 9)]


def test_full_width_characters_and_spaces_are_normalized(files, staff_a, village_a):
    full = village_a.code.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    rows = [parcel_row(village_a.code, 1, 村代码=f" {full} ", 宗地代码=f"　{full}ＪＣ００００１ ",
                       使用权人=" 张三 ", 建成年份="１９９８", 用途=" 自住 ", **{"面积（平方米）": "１８６．５０"})]
    result = imports.import_file("homesteads", files.csv(table(HOMESTEAD_HEADERS, rows)), staff_a)
    assert result.ok, result.problems
    parcel = Homestead.objects.get()
    assert (parcel.parcel_code, parcel.holder_name, parcel.area, parcel.built_year) == (
        f"{village_a.code}JC00001", "张三", Decimal("186.50"), 1998)


def test_the_templates_example_row_is_refused(files, staff_a, village_a):
    spec = imports.get_spec("collective-incomes")
    result = imports.import_file("collective-incomes", files.csv([INCOME_HEADERS, spec.example_row()]), staff_a)
    assert [(p["code"], p["row"]) for p in result.problems] == [("example_row", 2)]


def test_one_bad_row_writes_nothing_at_all(files, staff_a, village_a):
    rows = [parcel_row(village_a.code, n) for n in range(1, 50)] + [parcel_row(village_a.code, 50, **{"面积（平方米）": "-1"})]
    changes = ObjectChange.objects.count()
    result = imports.import_file("homesteads", files.csv(table(HOMESTEAD_HEADERS, rows)), staff_a)
    assert result.problem_count == 1 and not result.written
    assert (result.created, result.updated) == (0, 0)
    assert Homestead.objects.count() == 0 and ObjectChange.objects.count() == changes


def test_a_dry_run_writes_nothing(files, staff_a, village_a):
    result = imports.import_file("homesteads", files.csv(table(HOMESTEAD_HEADERS, [parcel_row(village_a.code, 1)])), staff_a, dry_run=True)
    assert (result.ok, result.written, result.created) == (True, False, 1)
    assert Homestead.objects.count() == 0


def test_progress_is_reported_up_to_the_end(files, staff_a, village_a):
    seen = []
    imports.import_file("homesteads", files.csv(table(HOMESTEAD_HEADERS, [parcel_row(village_a.code, 1)])), staff_a, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0


def test_an_unknown_entity(files, staff_a):
    with pytest.raises(LookupError):
        imports.import_file("unicorns", files.csv([["a"], ["b"]]), staff_a)


def test_many_problems_are_capped(files, staff_a, village_a, monkeypatch):
    monkeypatch.setattr(imports.checking, "MAX_PROBLEMS", 5)
    rows = [income_row(village_a.code, 2000 + n, amount="-1") for n in range(8)]
    result = imports.import_file("collective-incomes", files.csv(table(INCOME_HEADERS, rows)), staff_a)
    assert result.problem_count == 8 and len(result.problems) == 5
    listed = result.listed_problems()
    assert len(listed) == 6 and listed[-1]["code"] == "more" and "3" in listed[-1]["message"]


def test_the_change_log_of_new_records_is_what_log_bulk_create_writes(files, staff_a, village_a):
    from wenshang.kernel import audit

    imports.import_file("homesteads", files.csv(table(HOMESTEAD_HEADERS, [parcel_row(village_a.code, n) for n in (1, 2)])), staff_a,
                        source="web")
    fields = ["user_id", "user_name", "source", "action", "content_type_id", "object_id", "object_repr", "township_id",
              "prechange_data", "postchange_data"]
    ours = list(log("homestead").order_by("object_id").values(*fields))
    log("homestead").delete()
    with audit.actor(staff_a, "web"):
        audit.log_bulk_create(Homestead, list(Homestead.objects.order_by("pk")))
    theirs = list(log("homestead").order_by("object_id").values(*fields))
    assert ours == theirs and len(ours) == 2
    assert ours[0]["postchange_data"]["area"] == "186.50"


def test_a_record_of_another_township_gets_one_scope_message(files, staff_a, village_b):
    Homestead.objects.create(village=village_b, parcel_code=f"{village_b.code}JC00001", holder_name="王", area=100,
                             holder_id_number=idn("37083019700101001"), surveyed_on=dt.date(2024, 1, 1))
    result = imports.import_file("homesteads", files.csv(table(HOMESTEAD_HEADERS, [parcel_row(village_b.code, 1)])), staff_a)
    assert [p["code"] for p in result.problems] == ["scope"]
