"""The printed report read back from the PDF (pypdf, text per page): the contents is one page of
sections and townships, every contents entry and bookmark lands on the page that carries its
heading, the summary comes first and the villages form an appendix, the summary compares every
figure with last quarter's, and the layout keeps tables, labels and village blocks whole (issue 12)."""
import math
import re

import pytest
from pypdf import PdfReader

from villages.models import Village
from wenshang.reports import data, pdf

pytestmark = pytest.mark.django_db

CONTENTS_LINE = re.compile(r"^(.+?) ·+ (\d+)$")


def read(report, path):
    pdf.build(report, path)
    reader = PdfReader(path)
    pages = [[line.strip() for line in page.extract_text().splitlines()] for page in reader.pages]
    return reader, pages


def bookmarks(reader):
    """[(title, level, page number)] of the outline, in order."""
    out = []

    def walk(items, level):
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
            else:
                out.append((item.title, level, reader.get_destination_page_number(item) + 1))

    walk(reader.outline, 0)
    return out


def contents(pages):
    """[(name, page number)] listed on the contents pages, and those pages' numbers."""
    on = [n for n, lines in enumerate(pages, 1) if "目　录" in lines]
    entries = [(m[1], int(m[2])) for n in on for m in map(CONTENTS_LINE.match, pages[n - 1]) if m]
    return entries, on


def carries_heading(lines, title, villages):
    """A page carries a heading: a line that is the title (a village's reads 谭林村（中都街道））."""
    if title in villages:
        return any(line == f"{title}（{villages[title]}）" for line in lines)
    return title in lines


def assert_everything_lands(report, reader, pages):
    villages = {v["name"]: v["township"] for v in report["villages"]}
    marks = bookmarks(reader)
    assert len(marks) == len(pdf.outline_levels(report))
    for title, _, page in marks:
        assert carries_heading(pages[page - 1], title, villages), (title, page)
    entries, _ = contents(pages)
    assert entries == [(title, page) for title, level, page in marks if level <= 1]
    for name, page in entries:
        assert carries_heading(pages[page - 1], name, villages), (name, page)


def test_contents_entries_and_bookmarks_land_on_their_headings(survey, tmp_path):
    report = data.collect(data.subject_from_key("county"), 2024, 2)
    reader, pages = read(report, tmp_path / "r.pdf")
    assert_everything_lands(report, reader, pages)
    entries, on = contents(pages)
    assert on == [2]  # one page, after the cover
    names = [name for name, _ in entries]
    assert names == ["一、总体情况", "二、走访覆盖", "尚未走访的村", "三、问题发现与整改", "逾期未销号问题（1个）",
                     "四、村党组织分类变化", "五、三链指标", "组织链", "产业链", "人才链", "附录　一村一页：村情分析研判",
                     "南旺镇", "寅寺镇"]  # sections and townships; the villages are bookmarks only
    marks = bookmarks(reader)
    assert [(t, level) for t, level, _ in marks if level == 2] == [
        ("南旺村", 2), ("东石楼村", 2), ("西石楼村", 2), ("北石楼村", 2)]


def test_the_summary_comes_first_and_the_villages_form_an_appendix(survey, tmp_path):
    report = data.collect(data.subject_from_key("county"), 2024, 2)
    reader, pages = read(report, tmp_path / "r.pdf")
    page_of = {title: page for title, _, page in bookmarks(reader)}
    assert page_of["一、总体情况"] == 3  # right after the cover and the contents
    appendix = page_of["附录　一村一页：村情分析研判"]
    sections = ["一、总体情况", "二、走访覆盖", "三、问题发现与整改", "四、村党组织分类变化", "五、三链指标"]
    assert [page_of[s] for s in sections] == sorted(page_of[s] for s in sections)
    assert max(page_of[s] for s in sections) < appendix
    assert min(page_of[v["name"]] for v in report["villages"]) >= appendix
    assert page_of["南旺镇"] < page_of["寅寺镇"]  # grouped by township, in code order


def test_the_summary_compares_every_figure_with_last_quarter(survey, tmp_path):
    report = data.collect(data.subject_from_key("county"), 2024, 2)
    _, pages = read(report, tmp_path / "r.pdf")
    rows = {}
    for line in pages[2]:
        cells = line.split(" ")
        if len(cells) == 5 and cells[0] in {s["label"] for s in report["summary"]}:
            rows[cells[0]] = cells[1:]
    assert len(rows) == len(report["summary"])
    for s in report["summary"]:
        if s["value"] is not None and s["previous"] is not None:
            assert "—" not in rows[s["label"]][:3], s["label"]
    assert rows["村（社区）数"] == ["4", "4", "持平", "个"]
    assert rows["走访覆盖率"] == ["50.0", "50.0", "持平", "%"]
    assert rows["本季度发现问题"] == ["3", "2", "+50.0%", "个"]
    assert rows["季末未销号问题"] == ["2", "1", "+100.0%", "个"]
    assert rows["其中逾期问题"] == ["1", "0", "新增", "个"]  # from nothing: 新增, not a percentage
    assert rows["平均评分·组织建设"] == ["3.5", "2.5", "+1.00分", "分"]


def test_charts_show_the_reports_own_figures(survey, tmp_path):
    report = data.collect(data.subject_from_key("county"), 2024, 2)
    _, pages = read(report, tmp_path / "r.pdf")
    text = "\n".join("\n".join(lines) for lines in pages)
    assert [int(n) for n in re.findall(r"^图(\d+)　", text, re.M)] == [1, 2, 3, 4, 5, 6, 7]
    coverage = next(lines for lines in pages if "图1　各镇街走访覆盖情况（已走访/村数　覆盖率）" in lines)
    assert "寅寺镇 1 2 1/3　33.3%" in coverage  # visited, not visited, the share
    tiers = next(lines for lines in pages if "图3　各镇街村党组织分类（季末）" in lines)
    assert "寅寺镇 1 2 3个" in tiers  # 强基 1 (西石楼村), 创优 2
    problems = next(lines for lines in pages if "图2　各类问题季末状态" in lines)
    assert "产业发展 1 其中逾期1个" in problems
    loans = next(lines for lines in pages if "图6　近4个季度新发放贷款" in lines)
    assert {"10万元", "50万元", "1笔", "2笔", "2024年第一季度", "2024年第二季度"} <= set(" ".join(loans).split())


def test_status_labels_are_never_broken(survey, tmp_path):
    report = data.collect(data.subject_from_key("county"), 2024, 2)
    _, pages = read(report, tmp_path / "r.pdf")
    lines = [line for page in pages for line in page]
    assert any(line.endswith(" 未整改（逾期）") for line in lines)
    assert "）" not in lines and not any(line.endswith("（逾期") for line in lines)


def test_many_villages_keep_the_contents_on_one_page_and_share_pages(survey, tmp_path):
    Village.objects.bulk_create([Village(township=survey["b"], code=f"370830102{300 + i}", name=f"新村{i}") for i in range(90)])
    report = data.collect(data.subject_from_key("county"), 2024, 2)
    assert pdf.toc_pages(report) == 1
    reader, pages = read(report, tmp_path / "r.pdf")
    assert_everything_lands(report, reader, pages)
    assert contents(pages)[1] == [2]
    page_of = {title: page for title, _, page in bookmarks(reader)}
    nanwang = page_of["寅寺镇"] - page_of["南旺镇"]  # 南旺镇's 91 villages, two or more to a page
    assert nanwang <= math.ceil(91 / 2)
    assert len(pages) < 1 + 1 + 91  # not a page per village


def test_a_table_starts_with_room_for_two_rows_and_repeats_its_header(survey):
    drawn = []

    class Recording(pdf.ReportPDF):
        def _row(self, table, cells, height, header=False, color=None):
            drawn.append((self.page, header))
            super()._row(table, cells, height, header=header, color=color)

    doc = Recording("测试")
    doc.add_page()
    doc.set_y(doc.page_break_trigger - 14)  # room for the header and one row only
    doc.table(["镇街", "村"], [[f"镇{i}", f"村{i}"] for i in range(60)], [1, 1])
    first = drawn[0][0]
    assert first == 2  # not the header alone at the foot of page 1
    pages = sorted({page for page, _ in drawn})
    for page in pages:
        on_page = [header for p, header in drawn if p == page]
        assert on_page[0] is True and on_page.count(True) == 1  # the header opens every page
        assert on_page.count(False) >= 2  # and is never followed by a single row
