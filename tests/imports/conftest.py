"""Fixtures of the import tests: small files built in the test (XLSX with openpyxl, CSV in
UTF-8 with BOM and in GBK), uploaded files kept in a temporary media folder."""
import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest

from finance.models import Homestead
from wenshang.kernel.validators import id_check_char

HOMESTEAD_HEADERS = ["村代码", "宗地代码", "不动产权证书号", "使用权人", "使用权人身份证号码", "面积（平方米）", "用途",
                     "建成年份", "纬度", "经度", "调查日期"]
INCOME_HEADERS = ["村代码", "年度", "集体收入（元）", "经营性收入（元）"]


def idn(first17):
    """A valid national ID number from its first 17 digits."""
    return first17 + id_check_char(first17)


def parcel_row(village_code, n, **changes):
    row = {
        "村代码": village_code, "宗地代码": f"{village_code}JC{n:05d}", "不动产权证书号": f"鲁（2021）汶上县不动产权第{n:07d}号",
        "使用权人": f"张{n}", "使用权人身份证号码": idn(f"37083019700101{n:03d}"),
        "面积（平方米）": "186.5", "用途": "自住", "建成年份": "1998", "纬度": "35.7412", "经度": "116.5213", "调查日期": "2024-03-05",
    }
    row.update(changes)
    return row


def income_row(village_code, year, amount="500000", operating="300000"):
    return {"村代码": village_code, "年度": str(year), "集体收入（元）": amount, "经营性收入（元）": operating}


def table(headers, rows):
    """[[headers], [values]…] from dict rows (missing keys empty)."""
    return [list(headers)] + [[row.get(h, "") if isinstance(row, dict) else row[i] for i, h in enumerate(headers)] for row in rows]


def write_csv(path, data, encoding="utf-8-sig", delimiter=","):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(data)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path, data, sheet="数据", merges=(), extra_sheets=()):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for row in data:
        ws.append(row)
    for rng in merges:
        ws.merge_cells(rng)
    for title in extra_sheets:
        wb.create_sheet(title).append(["说明"])
    wb.save(path)
    return path


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return settings.MEDIA_ROOT


@pytest.fixture
def files(tmp_path):
    """``files.csv(data, name=…, encoding=…)`` and ``files.xlsx(data, …)`` → a path."""

    class Files:
        def csv(self, data, name="data.csv", **kwargs):
            return write_csv(tmp_path / name, data, **kwargs)

        def xlsx(self, data, name="data.xlsx", **kwargs):
            return write_xlsx(tmp_path / name, data, **kwargs)

    return Files()


def count_parcels():
    return Homestead.objects.count()


__all__ = ["Decimal", "dt", "idn"]
