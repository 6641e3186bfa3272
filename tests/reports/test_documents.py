"""The PDF (Chinese font embedded, contents, bookmarks, page numbers) and the XLSX (a sheet per section)."""
import re

import pytest
from openpyxl import load_workbook

from wenshang.reports import data, pdf, xlsx

pytestmark = pytest.mark.django_db


def test_pdf_embeds_the_chinese_font_and_has_contents_and_page_numbers(survey, tmp_path):
    report = data.collect(data.subject_from_key("county"), 2024, 2)
    path = tmp_path / "r.pdf"
    pages = pdf.build(report, path)
    raw = path.read_bytes()
    assert raw.startswith(b"%PDF-")
    assert pages == len(re.findall(rb"/Type /Page\b", raw)) >= 1 + 1 + 1 + 1  # cover, contents, sections, appendix
    assert b"/FontFile2" in raw and b"NotoSansSC" in raw  # the CJK font shipped with the project is embedded
    assert re.search(rb"/BaseFont /[A-Z]{6}\+NotoSansSC", raw)  # as a subset
    assert b"/ToUnicode" in raw  # text can be searched and copied
    assert b"/Outlines" in raw  # bookmarks
    titles = [t for t in re.findall(rb"/Title <([0-9A-Fa-f]+)>", raw) + re.findall(rb"/Title \((.*?)\)", raw)]
    assert titles  # outline entries have titles
    assert len(report["villages"]) == 4


def test_every_page_but_the_cover_has_its_number(survey, tmp_path, monkeypatch):
    drawn = []
    original_cell = pdf.ReportPDF.cell
    monkeypatch.setattr(pdf.ReportPDF, "cell", lambda self, *a, **k: (drawn.append(k.get("text", a[2] if len(a) > 2 else "")),
                                                                      original_cell(self, *a, **k))[1])
    report = data.collect(data.subject_from_key("county"), 2024, 2)
    pages = pdf.build(report, tmp_path / "r.pdf")
    numbers = [t for t in drawn if re.fullmatch(r"第 \d+ 页 / 共 \{nb\} 页", str(t))]  # {nb}: the total, filled in at output
    # every page but the cover (fpdf2 draws the contents pages' footers twice, at the same place)
    assert sorted(set(numbers), key=lambda t: int(t.split()[1])) == [f"第 {n} 页 / 共 {{nb}} 页" for n in range(2, pages + 1)]


def test_xlsx_has_a_sheet_per_section(survey, tmp_path):
    report = data.collect(data.subject_from_key("county"), 2024, 2)
    path = tmp_path / "r.xlsx"
    xlsx.build(report, path)
    wb = load_workbook(path)
    assert wb.sheetnames == ["总体情况", "走访覆盖", "未走访村", "问题分类", "逾期问题", "分类变化", "三链指标", "一村一页", "问题清单"]
    assert wb["总体情况"]["A1"].value == "汶上县2024年第二季度乡村振兴大调研报告"
    rows = {r[0]: r for r in wb["总体情况"].iter_rows(min_row=3, values_only=True)}
    assert rows["已走访村数"][1:3] == (2, 2)
    villages = list(wb["一村一页"].iter_rows(min_row=3, values_only=True))
    assert [r[1] for r in villages] == ["南旺村", "东石楼村", "西石楼村", "北石楼村"]
    overdue = list(wb["逾期问题"].iter_rows(min_row=3, values_only=True))
    assert [(r[1], r[6]) for r in overdue] == [("东石楼村", 30)]
    assert wb["逾期问题"].cell(3, 6).number_format.lower().startswith("yyyy")  # a date, not text


def test_contents_stay_on_one_page_with_many_villages(survey, tmp_path):
    """The contents list the sections and the townships, not the villages (they are bookmarks)."""
    from villages.models import Village

    Village.objects.bulk_create([Village(township=survey["b"], code=f"370830102{300 + i}", name=f"新村{i}") for i in range(90)])
    report = data.collect(data.subject_from_key("county"), 2024, 2)
    assert pdf.toc_pages(report) == 1
    # fpdf2 refuses contents that take more or fewer pages than reserved, so building proves the count
    pages = pdf.build(report, tmp_path / "r.pdf")
    assert 1 + 1 + 94 / 3 < pages < 1 + 1 + 94  # several villages to a page


def test_the_report_needs_no_system_font(survey, tmp_path, monkeypatch):
    """A fresh machine has no Chinese font: the report uses the one shipped with the project and
    never opens a system font file."""
    import builtins
    from pathlib import Path

    from django.conf import settings

    root = Path(settings.BASE_DIR).resolve()
    assert Path(settings.REPORT_FONT).resolve().is_relative_to(root) and Path(settings.REPORT_FONT_BOLD).resolve().is_relative_to(root)
    original_open, opened = builtins.open, []

    def guarded_open(file, *args, **kwargs):
        name = str(file)
        if name.startswith(("/usr/share/fonts", "/usr/local/share/fonts")) or name.endswith((".ttc", ".otf")):
            raise FileNotFoundError(name)
        opened.append(name)
        return original_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    report = data.collect(data.subject_from_key("county"), 2024, 2)
    pdf.build(report, tmp_path / "r.pdf")
    raw = (tmp_path / "r.pdf").read_bytes()
    assert re.search(rb"/BaseFont /[A-Z]{6}\+NotoSansSC", raw)
    assert any(name.endswith("NotoSansSC-Regular.ttf") for name in opened)
