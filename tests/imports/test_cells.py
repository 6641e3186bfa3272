"""How one cell is read: dates, full-width characters, spaces, numbers, yes/no, codes."""
import datetime as dt
from decimal import Decimal

import pytest

from wenshang import imports
from wenshang.imports import EMPTY, CellError

D = dt.date(2024, 3, 5)


@pytest.mark.parametrize("raw", [
    "2024/3/5", "2024-03-05", "2024年3月5日", "2024.3.5", "20240305", "2024-03-05 00:00:00", " 2024 年 3 月 5 日 ",
    "２０２４年３月５日", "２０２４－０３－０５", 45356, 45356.0, "45356", dt.datetime(2024, 3, 5), D,
])
def test_dates_as_excel_serials_and_as_text(raw):
    assert imports.parse_date(raw) == D


def test_a_serial_in_a_1904_workbook():
    assert imports.parse_date(43894, dt.datetime(1904, 1, 1)) == D


@pytest.mark.parametrize("raw, code", [
    ("2024-02-30", "date"), ("2024/13/1", "date"), ("下周一", "date"), (2024, "date"), ("2024", "date"), ("3/5/2024", "date"),
    (True, "date"), (dt.time(8, 30), "date"),
])
def test_bad_dates_are_refused_with_a_message(raw, code):
    with pytest.raises(CellError) as exc:
        imports.parse_date(raw)
    assert exc.value.code == code and exc.value.message


def test_a_year_alone_is_taken_for_what_it_is():
    with pytest.raises(CellError) as exc:
        imports.parse_date(2024)
    assert "2024" in exc.value.message


def test_empty_and_blank_cells_are_empty():
    for parse in (imports.parse_date, imports.parse_text, imports.parse_code, imports.parse_int, imports.parse_decimal, imports.parse_bool):
        assert parse(None) is EMPTY
        assert parse("   ") is EMPTY
        assert parse("\u3000") is EMPTY  # the ideographic space


def test_full_width_digits_letters_and_punctuation_in_codes():
    assert imports.parse_code("３７０８３０１０４２０１") == "370830104201"
    assert imports.parse_code(" 370830104201JC00001 ") == "370830104201JC00001"
    assert imports.parse_code("３７０８３０ｊｃ") == "370830JC"
    assert imports.parse_code("370830 104 201") == "370830104201"
    assert imports.parse_code(370830104201) == "370830104201"
    assert imports.parse_code(370830104201.0) == "370830104201"


def test_free_text_keeps_chinese_punctuation_but_not_full_width_digits():
    assert imports.parse_text("  鲁（２０２１）汶上县不动产权第００１号 ") == "鲁（2021）汶上县不动产权第001号"
    assert imports.parse_text("\u200b张三\xa0") == "张三"


def test_codes_rounded_by_excel_are_refused():
    for raw in (3.70830199001011e17, "3.70830199001011E+17", 370830.5):
        with pytest.raises(CellError) as exc:
            imports.parse_code(raw)
        assert exc.value.code == "number_as_text"


@pytest.mark.parametrize("raw, value", [
    ("１２３４．５", Decimal("1234.5")), ("１，２３４．５０", Decimal("1234.50")), ("¥1,234.50", Decimal("1234.50")),
    ("￥８８", Decimal("88")), ("500000元", Decimal("500000")), ("3.85%", Decimal("3.85")), (123.45, Decimal("123.45")),
    (7, Decimal(7)), ("-5", Decimal(-5)), ("−5", Decimal(-5)), (" 12 ", Decimal(12)),
])
def test_numbers(raw, value):
    assert imports.parse_decimal(raw) == value


@pytest.mark.parametrize("raw", ["abc", "1.2.3", "五百", True, dt.date(2024, 1, 1)])
def test_bad_numbers(raw):
    with pytest.raises(CellError):
        imports.parse_decimal(raw)


@pytest.mark.parametrize("raw, value", [("１２", 12), (12.0, 12), ("12.00", 12), ("1,200", 1200), ("-5", -5), (7, 7)])
def test_whole_numbers(raw, value):
    assert imports.parse_int(raw) == value


@pytest.mark.parametrize("raw", ["12.5", 12.5, "十二", True])
def test_bad_whole_numbers(raw):
    with pytest.raises(CellError):
        imports.parse_int(raw)


@pytest.mark.parametrize("raw, value", [
    ("是", True), ("否", False), ("Y", True), ("n", False), ("√", True), ("×", False), ("ＹＥＳ", True), (1, True), (0, False),
    (True, True), ("1", True),
])
def test_yes_and_no(raw, value):
    assert imports.parse_bool(raw) is value


def test_an_unclear_yes_or_no_is_refused():
    with pytest.raises(CellError):
        imports.parse_bool("也许")


def test_code_lists():
    assert imports.parse_code_list("370830104201、370830104202，370830104203 370830104201") == (
        "370830104201", "370830104202", "370830104203")


def test_column_letters():
    assert [imports.col_letter(i) for i in (0, 25, 26, 27, 701, 702)] == ["A", "Z", "AA", "AB", "ZZ", "AAA"]


def test_choices_by_chinese_label_english_label_or_code(db):
    spec = imports.get_spec("homesteads")
    use = spec.by_header["用途"]
    assert use.parse("自住") == "occupied"
    assert use.parse("Lived in") == "occupied"
    assert use.parse("occupied") == "occupied"
    assert use.parse(" 闲置 ") == "idle"
    with pytest.raises(CellError) as exc:
        use.parse("住人")
    assert "自住" in exc.value.message  # the allowed values are listed
