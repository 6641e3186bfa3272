"""Reading whole files: formats and encodings, and every kind of file that is refused with a
message before any row is looked at. Nothing is written in any of these cases."""
import datetime as dt
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from villages.models import CollectiveIncome
from wenshang import imports
from wenshang.kernel.models import ObjectChange

from .conftest import INCOME_HEADERS, income_row, table

pytestmark = pytest.mark.django_db


def incomes(village, *years):
    return table(INCOME_HEADERS, [income_row(village.code, y, amount=str(100000 + y), operating="1000") for y in years])


def codes(result):
    return [p["code"] for p in result.problems]


def assert_nothing_written(before_changes=0):
    assert CollectiveIncome.objects.count() == 0
    assert ObjectChange.objects.filter(content_type__model="collectiveincome").count() == before_changes


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk", "gb18030"])
def test_csv_in_utf8_with_or_without_bom_and_in_gbk(files, staff_a, village_a, encoding):
    data = incomes(village_a, 2022, 2023)
    data[1][0] = " " + data[1][0] + " "
    path = files.csv(data, encoding=encoding)
    if encoding == "gbk":
        with pytest.raises(UnicodeDecodeError):
            path.read_bytes().decode("utf-8")
    result = imports.import_file("collective-incomes", path, staff_a)
    assert result.ok, result.problems
    assert result.created == 2
    assert sorted(CollectiveIncome.objects.values_list("year", "amount")) == [(2022, Decimal(102022)), (2023, Decimal(102023))]


def test_tab_separated_text_as_wps_saves_it(files, staff_a, village_a):
    path = files.csv(incomes(village_a, 2023), name="data.txt", delimiter="\t", encoding="gbk")
    assert imports.import_file("collective-incomes", path, staff_a).created == 1


def test_xlsx_is_recognised_whatever_its_name(files, staff_a, village_a):
    path = files.xlsx(incomes(village_a, 2023), name="upload.bin")
    assert imports.import_file("collective-incomes", path, staff_a).created == 1


def test_the_sheet_named_like_the_template_is_read(files, staff_a, village_a, tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active.append(["这里是说明"])
    data = wb.create_sheet("数据")
    for row in incomes(village_a, 2023):
        data.append(row)
    wb.save(tmp_path / "notes-first.xlsx")
    assert imports.import_file("collective-incomes", tmp_path / "notes-first.xlsx", staff_a).created == 1


def test_headers_in_another_order_and_with_full_width_brackets(files, staff_a, village_a):
    data = [["经营性收入(元)", "年度", "村代码", "集体收入（元）"], ["1000", "2023", village_a.code, "5000"]]
    result = imports.import_file("collective-incomes", files.csv(data), staff_a)
    assert result.ok, result.problems
    assert CollectiveIncome.objects.get().operating == 1000


def test_empty_rows_are_skipped_and_row_numbers_are_the_sheets(files, staff_a, village_a):
    data = incomes(village_a, 2022)
    data += [["", "", "", ""], [village_a.code, "2023", "-5", "0"]]
    result = imports.import_file("collective-incomes", files.xlsx(data), staff_a)
    assert [(p["row"], p["col"], p["column"]) for p in result.problems] == [(4, "C", "集体收入（元）")]


def test_an_empty_file(files, staff_a, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    result = imports.import_file("collective-incomes", path, staff_a)
    assert codes(result) == ["empty"]
    assert result.problems[0]["message"] == imports._("The file is empty.")
    assert_nothing_written()


@pytest.mark.parametrize("content", [b"\xef\xbb\xbf", b"\r\n\r\n", b" , , \r\n"])
def test_a_file_with_nothing_in_it(staff_a, tmp_path, content):
    path = tmp_path / "blank.csv"
    path.write_bytes(content)
    assert codes(imports.import_file("collective-incomes", path, staff_a)) == ["empty"]


def test_headers_without_rows(files, staff_a):
    for path in (files.csv([INCOME_HEADERS]), files.xlsx([INCOME_HEADERS])):
        assert codes(imports.import_file("collective-incomes", path, staff_a)) == ["no_rows"]
    assert_nothing_written()


@pytest.mark.parametrize("content, code", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00" + bytes(range(256)) * 4, "not_spreadsheet"),
    (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\x00\x01\x02", "not_spreadsheet"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, "xls"),
    (b"PK\x03\x04 not really a zip", "not_spreadsheet"),
])
def test_a_file_that_is_not_a_spreadsheet(staff_a, tmp_path, content, code):
    path = tmp_path / "upload.xlsx"
    path.write_bytes(content)
    result = imports.import_file("collective-incomes", path, staff_a)
    assert codes(result) == [code]
    assert result.problems[0]["row"] is None and result.problems[0]["message"]
    assert_nothing_written()


def test_a_zip_that_is_not_a_workbook(staff_a, tmp_path):
    path = tmp_path / "report.docx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    assert codes(imports.import_file("collective-incomes", path, staff_a)) == ["not_spreadsheet"]


def test_a_damaged_workbook(files, staff_a, village_a, tmp_path):
    good = files.xlsx(incomes(village_a, 2023))
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(damaged, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            dst.writestr(info, data)
    assert codes(imports.import_file("collective-incomes", damaged, staff_a)) == ["damaged"]
    assert_nothing_written()


def test_a_file_above_the_size_limit_is_refused(files, staff_a, village_a, settings):
    path = files.csv(incomes(village_a, 2021, 2022, 2023))
    settings.IMPORT_MAX_BYTES = path.stat().st_size - 1
    result = imports.import_file("collective-incomes", path, staff_a)
    assert codes(result) == ["too_large"]
    assert "MB" in result.problems[0]["message"]
    assert_nothing_written()
    settings.IMPORT_MAX_BYTES = path.stat().st_size
    assert imports.import_file("collective-incomes", path, staff_a).created == 3


def test_the_default_limit_is_50_mb(settings):
    assert settings.IMPORT_MAX_BYTES == 50 * 1024 * 1024


def test_missing_renamed_and_extra_columns(files, staff_a, village_a):
    data = [["村代码", "年份", "集体收入（元）", "备注"], [village_a.code, "2023", "5000", "说明"]]
    result = imports.import_file("collective-incomes", files.csv(data), staff_a)
    found = {(p["code"], p["column"], p["col"]) for p in result.problems}
    assert found == {
        ("unknown_column", "年份", "B"),
        ("unknown_column", "备注", "D"),
        ("missing_column", "年度", ""),
        ("missing_column", "经营性收入（元）", ""),
    }
    assert all(p["row"] == 1 for p in result.problems)
    assert "年份" in next(p["message"] for p in result.problems if p["column"] == "年份")
    assert_nothing_written()


def test_a_column_twice(files, staff_a, village_a):
    data = [INCOME_HEADERS + ["年度"], [village_a.code, "2023", "5000", "100", "2023"]]
    result = imports.import_file("collective-incomes", files.csv(data), staff_a)
    assert [(p["code"], p["col"]) for p in result.problems] == [("duplicate_column", "E")]


def test_data_under_no_header(files, staff_a, village_a):
    data = [INCOME_HEADERS, [village_a.code, "2023", "5000", "100", "", "多出来的"]]
    result = imports.import_file("collective-incomes", files.csv(data), staff_a)
    assert [(p["code"], p["row"], p["col"]) for p in result.problems] == [("extra_column", 2, "F")]
    assert_nothing_written()


def test_formulas_are_refused_cell_by_cell(files, staff_a, village_a):
    """Decision (see ``wenshang.imports``): a formula is refused, not read from its cached value."""
    data = incomes(village_a, 2022, 2023)
    data[2][2] = "=C2*1.1"
    data[2][3] = "=SUM(D2:D2)"
    result = imports.import_file("collective-incomes", files.xlsx(data), staff_a)
    assert [(p["code"], p["row"], p["col"], p["column"]) for p in result.problems] == [
        ("formula", 3, "C", "集体收入（元）"), ("formula", 3, "D", "经营性收入（元）")]
    assert "=C2*1.1" in result.problems[0]["message"] and "数值" in result.problems[0]["message"]
    assert_nothing_written()


def test_error_cells_are_refused(files, staff_a, village_a, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in incomes(village_a, 2023):
        ws.append(row)
    ws["C2"].value = "#N/A"
    ws["C2"].data_type = "e"
    wb.save(tmp_path / "errors.xlsx")
    result = imports.import_file("collective-incomes", tmp_path / "errors.xlsx", staff_a)
    assert [(p["code"], p["row"], p["col"]) for p in result.problems] == [("error_cell", 2, "C")]


def test_merged_cells_are_refused_with_their_row_and_column(files, staff_a, village_a):
    data = incomes(village_a, 2021, 2022, 2023)
    data[3][2] = ""
    result = imports.import_file("collective-incomes", files.xlsx(data, merges=["C3:C4"]), staff_a)
    merged = [p for p in result.problems if p["code"] == "merged"]
    assert [(p["row"], p["col"]) for p in merged] == [(3, "C")]
    assert "C3:C4" in merged[0]["message"]
    assert_nothing_written()


def test_a_title_row_above_the_headers_is_skipped(files, staff_a, village_a):
    data = [["汶上县村集体收入统计表", "", "", ""]] + incomes(village_a, 2023)
    result = imports.import_file("collective-incomes", files.xlsx(data, merges=["A1:D1"]), staff_a)
    assert result.ok, result.problems
    assert (result.header_row, result.created) == (2, 1)


def test_a_sheet_without_the_templates_headers_is_refused_by_column(files, staff_a, village_a):
    data = [["汶上县村集体收入统计表", "", "", ""], ["村", "年", "收入", "经营"], [village_a.code, "2023", "1", "1"]]
    result = imports.import_file("collective-incomes", files.xlsx(data), staff_a)
    assert {p["code"] for p in result.problems} == {"unknown_column", "missing_column"}
    assert any(p["column"] == "汶上县村集体收入统计表" for p in result.problems)


def test_xlsx_rows_stream_as_openpyxl_reads_them(tmp_path):
    """The expat reader gives the values openpyxl's own iterator gives, for every kind of cell."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "数据"
    ws.append(["文本", "整数", "小数", "日期", "时间", "布尔", "空", "长代码"])
    ws.append(["张三", 12, 1.5, dt.date(2024, 3, 5), dt.datetime(2024, 3, 5, 8, 30), True, None, "370830199001011234"])
    ws.append([" 前后空格 ", -3, 1e-3, dt.datetime(2021, 12, 31), None, False, None, 370830104201])
    ws["C5"] = "第五行只有一个格"
    ws["Z6"] = "很远的列"
    ws["B7"] = "=SUM(B2:B3)"
    ws["D8"] = 45356
    ws["D8"].number_format = "General"
    ws["E9"] = "鲁（2021）汶上县不动产权第0000001号"
    path = tmp_path / "kinds.xlsx"
    wb.save(path)
    expected = []
    check = openpyxl.load_workbook(path, read_only=True)
    for number, row in enumerate(check.worksheets[0].iter_rows(values_only=True), start=1):
        values = list(row)
        while values and values[-1] is None:
            values.pop()
        if values:
            expected.append((number, values))
    table = imports.open_table(path)
    got = []
    for number, values in table.rows:
        values = list(values)
        while values and values[-1] is None:
            values.pop()
        if values:
            got.append((number, values))
    table.close()
    assert got == expected
    assert isinstance(dict(got)[7][1], imports.Formula)


def test_a_workbook_without_dimension_as_programs_write_it(staff_a, village_a, tmp_path):
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("数据")
    for row in incomes(village_a, 2022, 2023):
        ws.append(row)
    wb.save(tmp_path / "streamed.xlsx")
    with zipfile.ZipFile(tmp_path / "streamed.xlsx") as z:
        assert b"<dimension" not in z.read("xl/worksheets/sheet1.xml")
    assert imports.import_file("collective-incomes", tmp_path / "streamed.xlsx", staff_a).created == 2


def test_the_public_openpyxl_way_gives_the_same_rows(files, staff_a, village_a, monkeypatch):
    """Should openpyxl's reader change, ``load_workbook(read_only=True)`` is used instead."""
    path = files.xlsx(incomes(village_a, 2022, 2023))
    normal = imports.open_table(path)
    expected = list(normal.rows)
    normal.close()

    def changed(*args, **kwargs):
        raise AttributeError("changed")

    monkeypatch.setattr("openpyxl.styles.stylesheet.apply_stylesheet", changed)  # used by the fast way only
    fallback = imports.open_table(path)
    assert list(fallback.rows) == expected
    fallback.close()
    assert imports.import_file("collective-incomes", path, staff_a).created == 2
