"""Files and rows meant to mislead or exhaust the import (issue 11, items 4 and 5): what a message
tells a township clerk about other townships, personal numbers in problem lists, the retention of
uploaded files, zip bombs, hidden sheets, misplaced commas, title rows above the headers, and
OpenDocument spreadsheets."""
import datetime as dt
import os
import time
import zipfile
from decimal import Decimal
from xml.sax.saxutils import escape

import openpyxl
import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.urls import NoReverseMatch, reverse

from talent.models import Person
from villages.models import CollectiveIncome
from wenshang import imports
from wenshang.imports.models import ImportJob
from wenshang.tasks import purge_imports

from .conftest import INCOME_HEADERS, idn, income_row, table, write_csv

pytestmark = pytest.mark.django_db

# The fixed clock of these tests (never today).
NOW = dt.datetime(2025, 6, 30, 9, 0, tzinfo=dt.UTC)

PEOPLE_HEADERS = ["姓名", "身份证号码", "手机号码", "镇街代码", "村代码", "学历", "中共党员", "工作单位"]
THEIRS = idn("37083019800101123")  # a person of township B
NOBODY = idn("37083019811212456")  # nobody's


def person_row(township, village, id_number, **changes):
    row = {"姓名": "张示例", "身份证号码": id_number, "手机号码": "13600000001", "镇街代码": township.code,
           "村代码": village.code, "学历": "本科", "中共党员": "否", "工作单位": "村委会"}
    row.update(changes)
    return row


def upload(client, path, entity):
    with open(path, "rb") as fh:
        return client.post(reverse("imports:upload", args=[entity]), {"file": fh})


# -- item 4: what an import tells a clerk about other townships ----------------------------------


def test_an_id_number_of_another_township_is_refused_without_saying_where(files, staff_a, township_a, village_a, township_b):
    Person.objects.create(name="王其人", id_number=THEIRS, township=township_b)
    path = files.csv(table(PEOPLE_HEADERS, [person_row(township_a, village_a, THEIRS)]))
    result = imports.import_file("people", path, staff_a)
    assert [p["code"] for p in result.problems] == ["scope"]
    message = result.problems[0]["message"]
    assert message == "该身份证号码无法在本镇（街道）导入，请与县里核实。"
    assert "南旺镇" not in str(result.problems) and THEIRS not in str(result.problems)
    assert result.problems[0]["value"] == "370830********" + THEIRS[-4:]


def test_a_row_stating_another_township_does_not_name_it(files, staff_a, township_a, village_a, township_b):
    path = files.csv(table(PEOPLE_HEADERS, [person_row(township_b, village_a, NOBODY, 村代码="")]))
    result = imports.import_file("people", path, staff_a)
    assert [p["code"] for p in result.problems] == ["scope"]
    assert "南旺镇" not in str(result.problems) and NOBODY not in str(result.problems)
    assert "寅寺镇" in result.problems[0]["message"]


def test_an_official_without_the_right_sees_masked_numbers(client, staff_a, official, township_a, village_a, tmp_path):
    # A reserve cadre whose person is not found: the message names the ID number.
    headers = ["身份证号码", "村代码", "培养联系人", "纳入储备日期", "状态", "任职日期"]
    path = write_csv(tmp_path / "cadres.csv", table(headers, [{"身份证号码": NOBODY, "村代码": village_a.code, "纳入储备日期": "2024-03-05",
                                                               "状态": "培养中"}]))
    client.force_login(staff_a)
    upload(client, path, "reserve-cadres")
    job = ImportJob.objects.get()
    assert job.status == "invalid" and job.problems
    # The stored problems (shown by the admin's ImportJob page and any download) hold no full number.
    assert NOBODY not in str(job.problems)
    masked = "370830********" + NOBODY[-4:]
    assert masked in str(job.problems)
    assert not official.may_see_personal_data
    client.force_login(official)
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert NOBODY not in page and masked in page
    # The admin's import-job page shows the stored problems: masked too.
    admin_page = client.get(reverse("admin:wenshang_importjob_change", args=[job.pk])).content.decode()
    assert NOBODY not in admin_page and masked in admin_page
    for name in ("imports:problems", "imports:problem_list", "imports:download_problems"):
        try:
            url = reverse(name, args=[job.pk])
        except NoReverseMatch:
            continue
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert NOBODY.encode() not in body


def test_old_jobs_lose_their_files_and_problems_and_are_marked_purged(settings, staff_a):
    settings.IMPORT_RETENTION_DAYS = 30
    jobs = {}
    for name, age in (("old", 31), ("recent", 29)):
        job = ImportJob.objects.create(user=staff_a, township=staff_a.township, entity="people", original_name=f"{name}.csv",
                                       status=ImportJob.Status.INVALID, total_rows=5, created_rows=0,
                                       problems=[{"row": 2, "column": "身份证号码", "col": "B", "value": "x", "message": "m", "code": "c"}])
        job.file.save(f"{name}.csv", ContentFile(b"a,b\r\n"))
        ImportJob.objects.filter(pk=job.pk).update(created_at=NOW - dt.timedelta(days=age))
        jobs[name] = job
    old_path, recent_path = jobs["old"].file.path, jobs["recent"].file.path

    assert imports.purge_old_jobs(now=NOW) == 1
    old, recent = (ImportJob.objects.get(pk=jobs[n].pk) for n in ("old", "recent"))
    assert old.purged_at == NOW and old.problems == [] and not old.file
    assert (old.status, old.total_rows, old.original_name) == ("invalid", 5, "old.csv")
    assert not os.path.exists(old_path) and os.path.exists(recent_path)
    assert recent.purged_at is None and recent.problems and recent.file
    assert imports.purge_old_jobs(now=NOW) == 0  # once only

    # The periodic task and the command do the same with the real clock.
    assert any(entry["task"] == purge_imports.name for entry in settings.CELERY_BEAT_SCHEDULE.values())
    call_command("purge_imports", now=(NOW + dt.timedelta(days=2)).isoformat())
    assert ImportJob.objects.get(pk=recent.pk).purged_at is not None


def test_a_purged_job_cannot_be_confirmed(client, staff_a, village_a, tmp_path):
    client.force_login(staff_a)
    upload(client, write_csv(tmp_path / "in.csv", table(INCOME_HEADERS, [income_row(village_a.code, 2023)])), "collective-incomes")
    job = ImportJob.objects.get()
    assert job.status == "ready"
    ImportJob.objects.filter(pk=job.pk).update(created_at=NOW - dt.timedelta(days=90))
    imports.purge_old_jobs(now=NOW)
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert reverse("imports:commit", args=[job.pk]) not in page
    assert "删除" in page
    client.post(reverse("imports:commit", args=[job.pk]))
    assert CollectiveIncome.objects.count() == 0


# -- item 5: spreadsheets that lie or explode -------------------------------------------------------


def bomb(path, village, member_bytes):
    """A small workbook whose shared strings unpack to ``member_bytes`` of repeated bytes."""
    good = path.parent / "good.xlsx"
    wb = openpyxl.Workbook()
    for row in table(INCOME_HEADERS, [income_row(village.code, 2023)]):
        wb.active.append(row)
    wb.save(good)
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename == "xl/sharedStrings.xml":
                continue
            dst.writestr(info, src.read(info.filename))
        with dst.open("xl/sharedStrings.xml", "w", force_zip64=True) as out:
            out.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>')
            chunk = b"A" * (1 << 20)
            for _ in range(member_bytes >> 20):
                out.write(chunk)
            out.write(b"</t></si></sst>")
    return path


@pytest.mark.parametrize("member_mb, limit_mb", [(24, 16), (8, 200)])  # too large unpacked; too compressed
def test_a_zip_bomb_is_refused_before_it_is_parsed(settings, staff_a, village_a, tmp_path, monkeypatch, member_mb, limit_mb):
    settings.IMPORT_MAX_UNPACKED_BYTES = limit_mb << 20
    settings.IMPORT_MAX_COMPRESSION_RATIO = 100
    path = bomb(tmp_path / "bomb.xlsx", village_a, member_mb << 20)
    assert path.stat().st_size < 200_000

    def not_parsed(*args, **kwargs):
        raise AssertionError("the workbook was parsed")

    monkeypatch.setattr(imports.reading, "_read_workbook", not_parsed)
    start = time.monotonic()
    result = imports.import_file("collective-incomes", path, staff_a)
    assert time.monotonic() - start < 2
    assert [p["code"] for p in result.problems] == ["zip_bomb"]
    assert "解压" in result.problems[0]["message"]
    assert CollectiveIncome.objects.count() == 0


def test_the_hidden_first_sheet_is_not_read(client, staff_a, village_a, tmp_path):
    wb = openpyxl.Workbook()
    hidden = wb.active
    hidden.title = "数据"
    for row in table(INCOME_HEADERS, [income_row(village_a.code, 2020)]):
        hidden.append(row)
    shown = wb.create_sheet("Sheet1")
    for row in table(INCOME_HEADERS, [income_row(village_a.code, 2023), income_row(village_a.code, 2024)]):
        shown.append(row)
    wb.active = 1
    hidden.sheet_state = "hidden"
    wb.save(tmp_path / "hidden.xlsx")

    result = imports.import_file("collective-incomes", tmp_path / "hidden.xlsx", staff_a)
    assert result.ok, result.problems
    assert sorted(CollectiveIncome.objects.values_list("year", flat=True)) == [2023, 2024]
    assert result.sheet == "Sheet1"

    client.force_login(staff_a)
    upload(client, tmp_path / "hidden.xlsx", "collective-incomes")
    page = client.get(reverse("imports:job", args=[ImportJob.objects.get().pk])).content.decode()
    assert "Sheet1" in page


def test_the_active_sheet_is_read_when_none_is_named_like_the_template(staff_a, village_a, tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "旧表"
    for row in table(INCOME_HEADERS, [income_row(village_a.code, 2020)]):
        wb.active.append(row)
    current = wb.create_sheet("新表")
    for row in table(INCOME_HEADERS, [income_row(village_a.code, 2023)]):
        current.append(row)
    wb.active = 1
    wb.save(tmp_path / "two.xlsx")
    result = imports.import_file("collective-incomes", tmp_path / "two.xlsx", staff_a)
    assert result.ok, result.problems
    assert list(CollectiveIncome.objects.values_list("year", flat=True)) == [2023]
    assert result.sheet == "新表"


@pytest.mark.parametrize("text, value", [("1,234.50", Decimal("1234.50")), ("12,345.67", Decimal("12345.67")), ("1,234", Decimal(1234)),
                                         ("1234.5", Decimal("1234.5")), ("-1,000,000", Decimal(-1000000))])
def test_thousands_separators_are_read(text, value):
    assert imports.parse_decimal(text) == value


@pytest.mark.parametrize("text", ["1,5", "12,34", "1,,000", "1,2345", ",123", "1.234,5", "1 5"])
def test_a_comma_that_is_no_thousands_separator_is_an_error(text):
    with pytest.raises(imports.CellError):
        imports.parse_decimal(text)
    with pytest.raises(imports.CellError):
        imports.parse_int(text)


def test_an_amount_of_1_5_is_not_stored_as_15(files, staff_a, village_a):
    rows = [income_row(village_a.code, 2023, amount="1,5", operating="1"), income_row(village_a.code, 2024, amount="1,234.50", operating="1,000")]
    result = imports.import_file("collective-incomes", files.csv(table(INCOME_HEADERS, rows)), staff_a)
    assert [(p["row"], p["column"], p["value"]) for p in result.problems] == [(2, "集体收入（元）", "1,5")]
    assert "1,5" in result.problems[0]["message"] or "逗号" in result.problems[0]["message"]
    assert CollectiveIncome.objects.count() == 0


def test_a_title_row_above_the_headers(files, staff_a, village_a, tmp_path):
    data = [["寅寺镇2024年村集体收入统计表"], [], *table(INCOME_HEADERS, [income_row(village_a.code, 2023), income_row(village_a.code, 2024)])]
    path = files.xlsx(data, merges=["A1:D1"])
    result = imports.import_file("collective-incomes", path, staff_a)
    assert result.ok, result.problems
    assert (result.created, result.header_row) == (2, 3)
    csv_data = [["填报单位：寅寺镇", "", "", ""], *table(INCOME_HEADERS, [income_row(village_a.code, 2022)])]
    result = imports.import_file("collective-incomes", files.csv(csv_data), staff_a)
    assert result.ok and result.header_row == 2


def ods(path, tables, active=None, hidden=()):
    """An OpenDocument spreadsheet: ``tables`` is {name: rows}; cells are str, int, Decimal or date."""
    def cell(value):
        if value is None or value == "":
            return '<table:table-cell table:number-columns-repeated="3"/>'
        if isinstance(value, (int, Decimal)):
            return f'<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p></table:table-cell>'
        if isinstance(value, dt.date):
            return f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}"><text:p>{value}</text:p></table:table-cell>'
        return f'<table:table-cell office:value-type="string"><text:p>{escape(value)}</text:p></table:table-cell>'

    body = []
    for name, rows in tables.items():
        style = ' table:style-name="ta2"' if name in hidden else ' table:style-name="ta1"'
        body.append(f'<table:table table:name="{escape(name)}"{style}><table:table-column table:number-columns-repeated="16384"/>')
        for row in rows:
            body.append("<table:table-row>" + "".join(cell(v) for v in row)
                        + '<table:table-cell table:number-columns-repeated="16000"/></table:table-row>')
        body.append('<table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>')
        body.append("</table:table>")
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" office:version="1.3">'
        '<office:automatic-styles>'
        '<style:style style:name="ta1" style:family="table"><style:table-properties table:display="true"/></style:style>'
        '<style:style style:name="ta2" style:family="table"><style:table-properties table:display="false"/></style:style>'
        '</office:automatic-styles><office:body><office:spreadsheet>' + "".join(body)
        + "</office:spreadsheet></office:body></office:document-content>"
    )
    settings_xml = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-settings xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:config="urn:oasis:names:tc:opendocument:xmlns:config:1.0"><office:settings>'
        '<config:config-item-set config:name="ooo:view-settings"><config:config-item-map-indexed config:name="Views"><config:config-item-map-entry>'
        f'<config:config-item config:name="ActiveTable" config:type="string">{escape(active or next(iter(tables)))}</config:config-item>'
        "</config:config-item-map-entry></config:config-item-map-indexed></config:config-item-set></office:settings></office:document-settings>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content)
        z.writestr("settings.xml", settings_xml)
        z.writestr("META-INF/manifest.xml", '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                   'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>')
    return path


def test_an_ods_file_is_read(staff_a, village_a, tmp_path):
    rows = [INCOME_HEADERS, [village_a.code, 2023, Decimal("1234.5"), "1,000"], [village_a.code, "2024", 500000, 1000]]
    hidden_rows = [INCOME_HEADERS, [village_a.code, 2020, 1, 1]]
    path = ods(tmp_path / "收入.ods", {"隐藏": hidden_rows, "工作表1": rows}, active="工作表1", hidden=("隐藏",))
    result = imports.import_file("collective-incomes", path, staff_a)
    assert result.ok, result.problems
    assert result.sheet == "工作表1"
    assert sorted(CollectiveIncome.objects.values_list("year", "amount", "operating")) == [
        (2023, Decimal("1234.50"), Decimal(1000)), (2024, Decimal(500000), Decimal(1000))]


def test_an_ods_bomb_is_refused(settings, staff_a, village_a, tmp_path):
    settings.IMPORT_MAX_UNPACKED_BYTES = 1 << 20
    path = ods(tmp_path / "big.ods", {"表": [INCOME_HEADERS] + [[village_a.code, 2023, 1, 1]] * 20000})
    assert [p["code"] for p in imports.import_file("collective-incomes", path, staff_a).problems] == ["zip_bomb"]
