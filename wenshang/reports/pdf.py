"""The report as a PDF (fpdf2), made to be printed and handed out at the quarterly meeting.

A cover; the contents on one page (the five sections and, in the appendix, the townships; the same
as bookmarks, where each village also appears under its township); the sections 一 to 五 with their
charts (``charts.py``, drawn from the same ``data.collect`` figures as the tables); and the appendix,
one block per village, grouped by township (each township from a new page), as many blocks to a
page as fit. The Chinese font is embedded (a subset of Noto Sans SC, shipped in ``fonts/``;
``settings.REPORT_FONT``) and the footer numbers the pages ("第 3 页 / 共 60 页").

Layout rules: a heading stays with what follows it; a table starts on a page with room for its
header and two rows (a short table is kept whole), repeats its header on every page it continues on
and never leaves its last row alone; a chart is kept on one page; a village's block is never split
unless it is longer than a page. Every bookmark is made on the page that carries its heading.
"""
import datetime as dt

from django.conf import settings
from django.utils import timezone
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from wenshang.kernel import formats
from wenshang.reports import charts
from wenshang.reports.data import QUARTER_ZH

FONT = charts.FONT
MARGIN = 16
TOP = MARGIN + 4  # where the text of a page begins (below the running header)
LINE = 6.2
GAP = 3  # below a table
SHORT_TABLE = 80  # a table this high or less is kept whole on one page
GREY = (110, 110, 110)
RED = (180, 30, 30)
HEAD_FILL = (226, 232, 240)
HEADING_SIZE = {0: 15, 1: 12.5, 2: 11}


def fmt(value, unit=""):
    if value is None or value == "":
        return "—"
    if isinstance(value, float):
        text = f"{value:,.2f}".rstrip("0").rstrip(".") if unit != "%" else f"{value:.1f}"
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        text = str(value)
    return text


def fmt_change(row):
    """The 增减 of a figure next to last quarter's (``data.comparison``): percentage points for a rate,
    points for a rating, a relative change for counts and amounts; 新增 from zero; 持平 when equal;
    — only when a value is missing."""
    if row["value"] is None or row["previous"] is None:
        return "—"
    delta = row["delta"]
    if not delta:
        return "持平"
    if row["unit"] == "%":
        return f"{delta:+.1f}个百分点"
    if row["unit"] == "分":
        return f"{delta:+.2f}分"
    if not row["previous"]:
        return "新增"
    return f"{row['change']:+.1f}%"


def fmt_count_change(now, before):
    return "持平" if now == before else f"{now - before:+d}"


def fmt_date(d):
    return d.strftime("%Y-%m-%d") if d else "—"


class Table:
    """A table laid out before it is drawn: its column widths and the height of every row.

    ``nowrap``: columns made wide enough for their longest text (a status such as 整改中（逾期）
    is never broken); the other columns share the rest of the width by their ``widths`` weights."""

    def __init__(self, pdf, headers, rows, widths, aligns=None, size=9, red_rows=(), nowrap=()):
        self.headers = [str(h) for h in headers]
        self.rows = [[c if isinstance(c, str) else fmt(c) for c in r] for r in rows]
        self.aligns = aligns or ["L"] * len(headers)
        self.size = size
        self.red = set(red_rows)
        self.line = size * 0.52
        self.widths = self._widths(pdf, widths, nowrap)
        self.header_height = self._height(pdf, self.headers, bold=True)
        self.heights = [self._height(pdf, r) for r in self.rows]

    def _widths(self, pdf, weights, nowrap):
        widths = [w * pdf.epw / sum(weights) for w in weights]
        needed = {}
        for i in nowrap:
            pdf.set_font(FONT, "B", self.size)
            head = pdf.get_string_width(self.headers[i])
            pdf.set_font(FONT, "", self.size)
            longest = max([pdf.get_string_width(r[i]) for r in self.rows] or [0])
            needed[i] = max(head, longest) + 2 * pdf.c_margin + 0.8
        if not any(needed[i] > widths[i] for i in needed):
            return widths
        fixed = {i: max(widths[i], needed[i]) for i in needed}
        others = sum(w for i, w in enumerate(widths) if i not in fixed)
        scale = (pdf.epw - sum(fixed.values())) / others
        return [fixed[i] if i in fixed else w * scale for i, w in enumerate(widths)]

    def _height(self, pdf, cells, bold=False):
        pdf.set_font(FONT, "B" if bold else "", self.size)
        lines = max(len(pdf.multi_cell(w, self.line, c, dry_run=True, output="LINES")) for w, c in zip(self.widths, cells))
        return lines * self.line + 1.6

    @property
    def height(self):
        return self.header_height + sum(self.heights) + GAP

    @property
    def start_height(self):
        """The room the table needs to begin on a page: all of a short table, else its header and two rows."""
        if self.height <= SHORT_TABLE:
            return self.height
        return self.header_height + sum(self.heights[:2])


class ReportPDF(FPDF):
    def __init__(self, title, platform="汶上县乡村振兴“三链融合”服务平台"):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.report_title = title
        self.figures = 0
        self.set_margins(MARGIN, TOP, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN + 2)
        self.add_font(FONT, "", settings.REPORT_FONT, collection_font_number=settings.REPORT_FONT_INDEX)
        self.add_font(FONT, "B", settings.REPORT_FONT_BOLD, collection_font_number=settings.REPORT_FONT_INDEX)
        self.set_title(title)
        self.set_author(platform)
        self.set_subject("乡村振兴大调研季度报告")
        self.set_lang("zh-CN")
        self.set_creator("wenshang.reports")
        self.alias_nb_pages()

    def header(self):
        if self.page_no() == 1:  # the cover
            return
        self.set_font(FONT, "", 8)
        self.set_text_color(*GREY)
        self.set_y(8)
        self.cell(0, 5, self.report_title, align="L")
        self.set_draw_color(200, 200, 200)
        self.line(MARGIN, 14, self.w - MARGIN, 14)
        self.set_y(TOP)
        self.set_text_color(0, 0, 0)

    def footer(self):
        if self.page_no() == 1:
            return
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.set_text_color(*GREY)
        self.cell(0, 5, f"第 {self.page_no()} 页 / 共 {{nb}} 页", align="C")
        self.set_text_color(0, 0, 0)

    # -- page breaks ---------------------------------------------------------------------------------
    @property
    def page_room(self):
        """The height a page has for text."""
        return self.page_break_trigger - TOP

    def at_top(self):
        return self.get_y() <= TOP + 0.5

    def ensure(self, height):
        """Go to a new page unless ``height`` fits below (or the page is still empty)."""
        if self.will_page_break(height) and not self.at_top():
            self.add_page()

    # -- building blocks ----------------------------------------------------------------------------
    def heading_height(self, level):
        return (2 if level else 1) + HEADING_SIZE[level] * 0.6 + 2

    def heading(self, text, level=0, keep=0, bookmark=True):
        """A heading kept on the page of the ``keep`` mm that follow it; its bookmark is made after any
        page break, so it points to the heading's page."""
        size = HEADING_SIZE[level]
        self.ensure(self.heading_height(level) + keep)
        if bookmark:
            self.start_section(text, level=level)
        self.set_font(FONT, "B", size)
        self.ln(2 if level else 1)
        self.cell(0, size * 0.6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)
        self.set_font(FONT, "", 10)

    def para_height(self, text, size=10, line=LINE):
        self.set_font(FONT, "", size)
        return len(self.multi_cell(0, line, text, dry_run=True, output="LINES")) * line + 1

    def para(self, text, size=10, color=None, line=LINE):
        self.set_font(FONT, "", size)
        if color:
            self.set_text_color(*color)
        self.multi_cell(0, line, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0, 0, 0)
        self.ln(1)

    def figure(self, title):
        """The numbered caption of the next chart: 图1　…"""
        self.figures += 1
        return f"图{self.figures}　{title}"

    def table(self, headers, rows, widths, aligns=None, size=9, red_rows=(), nowrap=(), heading=None, level=1, bookmark=True):
        """Lay out and draw a table, after its ``heading`` (kept with the table's first rows) if given."""
        table = Table(self, headers, rows, widths, aligns, size, red_rows, nowrap)
        if heading:
            self.heading(heading, level, keep=table.start_height, bookmark=bookmark)
        self.draw_table(table)

    def draw_table(self, table):
        self.ensure(table.start_height)
        self.set_draw_color(170, 170, 170)
        self._row(table, table.headers, table.header_height, header=True)
        on_page = 0  # rows drawn on this page
        last = len(table.rows) - 1
        for i, (cells, height) in enumerate(zip(table.rows, table.heights)):
            needed = height + (table.heights[last] if i == last - 1 and on_page else 0)  # the last row never alone
            if self.will_page_break(needed):
                self.add_page()
                self._row(table, table.headers, table.header_height, header=True)  # the header repeats
                on_page = 0
            self._row(table, cells, height, color=RED if i in table.red else None)
            on_page += 1
        self.ln(GAP)

    def _row(self, table, cells, height, header=False, color=None):
        self.set_font(FONT, "B" if header else "", table.size)
        self.set_draw_color(170, 170, 170)
        self.set_line_width(0.2)
        if color:
            self.set_text_color(*color)
        x, y = self.l_margin, self.get_y()
        for w, c, a in zip(table.widths, cells, table.aligns):
            if header:
                self.set_fill_color(*HEAD_FILL)
            self.rect(x, y, w, height, style="DF" if header else "D")
            self.set_xy(x, y + 0.8)
            self.multi_cell(w, table.line, c, align="C" if header else a, new_x=XPos.RIGHT, new_y=YPos.TOP)
            x += w
        self.set_text_color(0, 0, 0)
        self.set_xy(self.l_margin, y + height)


# -- the contents -------------------------------------------------------------------------------------
TOC_TITLE, TOC_LINE, TOC_LEVELS = 12, {0: 7.2, 1: 6.0}, 1  # the contents list levels 0 and 1; villages are bookmarks only


def render_toc(pdf, outline):
    pdf.set_font(FONT, "B", 16)
    pdf.set_x(MARGIN)
    pdf.cell(0, TOC_TITLE - 2, "目　录", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    for entry in outline:
        if entry.level > TOC_LEVELS:
            continue
        indent = 8 * entry.level
        pdf.set_font(FONT, "B" if entry.level == 0 else "", 11 if entry.level == 0 else 10)
        link = pdf.add_link(page=entry.page_number)
        pdf.set_x(MARGIN + indent)
        width = pdf.w - 2 * MARGIN - indent - 14
        name = entry.name
        dots = max(2, int((width - pdf.get_string_width(name)) / pdf.get_string_width("·")) - 1)
        pdf.cell(width, TOC_LINE[entry.level], f"{name} {'·' * dots}", link=link)
        pdf.cell(14, TOC_LINE[entry.level], str(entry.page_number), align="R", link=link,
                 new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def outline_levels(report):
    """The levels of the bookmarks ``build`` makes, in order."""
    levels = [0, 0, 1, 0, 1, 0, 0, 1, 1, 1]  # 一 二 (尚未走访的村) 三 (逾期未销号问题) 四 五 (组织链 产业链 人才链)
    levels += [0] * (1 + bool(report.get("official")))  # 六 (the official version's frozen figures), 附录
    for _, villages in by_township(report["villages"]):
        levels += [1] + [2] * len(villages)
    return levels


def toc_pages(report, page_height=297, levels=None):
    """How many pages the contents take (the same layout as ``render_toc``; ``levels``: the bookmarks'
    levels, by default a county's, township's or zone's report's)."""
    bottom = page_height - (MARGIN + 2)
    pages, y = 1, TOP + TOC_TITLE
    for level in levels if levels is not None else outline_levels(report):
        if level > TOC_LEVELS:
            continue
        h = TOC_LINE[level]
        if y + h > bottom:
            pages, y = pages + 1, TOP
        y += h
    return pages


def by_township(villages):
    """[(township, [village, …])] in the order of ``villages``."""
    groups = []
    for v in villages:
        if not groups or groups[-1][0] != v["township"]:
            groups.append((v["township"], []))
        groups[-1][1].append(v)
    return groups


# -- the document -------------------------------------------------------------------------------------
def build(report, path, progress=None):
    """Write the PDF of ``report`` (``data.collect``) to ``path``; returns the number of pages.
    ``progress(done, total)`` is called as village blocks are written."""
    if report["scope"] == "city":
        return build_city(report, path, progress)
    pdf = ReportPDF(report["title"], report["platform"])
    cover(pdf, report)
    pdf.add_page()
    pdf.insert_toc_placeholder(render_toc, pages=toc_pages(report))  # then on a new page
    summary_section(pdf, report)
    coverage_section(pdf, report)
    problems_section(pdf, report)
    tiers_section(pdf, report)
    chains_section(pdf, report)
    official_section(pdf, report)
    appendix(pdf, report, progress)
    pdf.output(str(path))
    return pdf.pages_count


def cover(pdf, report):
    pdf.add_page()
    pdf.set_y(70)
    pdf.set_font(FONT, "B", 24)
    pdf.multi_cell(0, 13, report["title"], align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(12)
    pdf.set_font(FONT, "", 13)
    for line in (
        f"报告期：{fmt_date(report['start'])} 至 {fmt_date(report['end'])}",
        f"数据截至：{fmt_date(report['as_of'])}",
        f"生成时间：{report['generated_at']:%Y-%m-%d %H:%M}",
        *([official_mark(report["official"])] if report.get("official") else []),
    ):
        pdf.cell(0, 9, line, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(-60)
    pdf.set_font(FONT, "", 12)
    pdf.cell(0, 8, report["platform"], align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def summary_section(pdf, report):
    rnd = report["round"]
    dates = report["round_dates"]
    figures = {s["label"]: s["value"] for s in report["summary"]}
    pdf.heading("一、总体情况", keep=30)
    pdf.para(
        f"{report['year']}年{report['quarter_zh']}（{fmt_date(report['start'])}至{fmt_date(report['end'])}），"
        + (f"全县组织开展“{rnd}”（{fmt_date(dates[0])}至{fmt_date(dates[1])}）。" if rnd else "本季度未安排大调研轮次。")
        + f"{report['subject']}共有村（社区）{figures['村（社区）数']}个，已走访{figures['已走访村数']}个；"
        f"本季度发现问题{figures['本季度发现问题']}个，销号{figures['本季度销号问题']}个，"
        f"季末未销号{figures['季末未销号问题']}个，其中逾期{figures['其中逾期问题']}个。"
        f"下表为本季度主要数字及与上季度（{report['previous']}）的比较。"
    )
    pdf.table(
        ["指标", "本季度", "上季度", "增减", "单位"],
        [[s["label"], fmt(s["value"], s["unit"]), fmt(s["previous"], s["unit"]), fmt_change(s), s["unit"]]
         for s in report["summary"]],
        [5, 2, 2, 2.4, 1.2], ["L", "R", "R", "R", "C"], nowrap=(3,),
    )


def coverage_section(pdf, report):
    by = report["coverage_by"]
    rows = [(g["name"], [g["visited"], g["villages"] - g["visited"]],
             f"{g['visited']}/{g['villages']}　{fmt(g['coverage'], '%')}%" if g["coverage"] is not None else "—")
            for g in report["coverage"]]
    pdf.heading("二、走访覆盖", keep=charts.height_stacked(rows) if rows else 30)
    if rows:
        charts.draw_stacked(pdf, pdf.figure(f"各{by}走访覆盖情况（已走访/村数　覆盖率）"),
                            [("已走访", "dark"), ("未走访", "white")], rows, "村（社区）数（个）")
    pdf.table(
        [by, "村数", "已走访", "覆盖率", "未销号问题", "逾期问题"],
        [[g["name"], g["villages"], g["visited"], fmt(g["coverage"], "%") + "%" if g["coverage"] is not None else "—",
          g["open"], g["overdue"]] for g in report["coverage"]],
        [4, 1.5, 1.5, 1.5, 2, 2], ["L", "R", "R", "R", "R", "R"],
    )
    if report["not_visited"]:
        pdf.table(["镇街", "村（社区）", "代码", "包村领导"],
                  [[n["township"], n["village"], n["code"], n["leader"] or "—"] for n in report["not_visited"]],
                  [3, 3, 3, 3], heading="尚未走访的村")
    else:
        pdf.heading("尚未走访的村", level=1, keep=10)
        pdf.para("本季度所有村（社区）均已走访。")


def problems_section(pdf, report):
    rows = [(c["category"], [c["open"], c["in_progress"], c["closed"]], f"其中逾期{c['overdue']}个")
            for c in report["by_category"]]
    pdf.heading("三、问题发现与整改", keep=charts.height_stacked(rows))
    charts.draw_stacked(pdf, pdf.figure("各类问题季末状态"),
                        [("季末未整改", "dark"), ("季末整改中", "hatch"), ("本季度销号", "light")], rows, "问题数（个）")
    pdf.table(
        ["问题类别", "本季度发现", "本季度销号", "季末未整改", "季末整改中", "季末逾期"],
        [[c["category"], c["found"], c["closed"], c["open"], c["in_progress"], c["overdue"]] for c in report["by_category"]],
        [3, 2, 2, 2, 2, 2], ["L", "R", "R", "R", "R", "R"],
    )
    heading = f"逾期未销号问题（{len(report['overdue'])}个）"
    if report["overdue"]:
        pdf.table(
            ["镇街", "村", "类别", "问题", "责任单位", "整改时限", "逾期天数"],
            [[o["township"], o["village"], o["category"], o["description"], o["unit"], fmt_date(o["deadline"]), o["days"]]
             for o in report["overdue"]],
            [2, 2.2, 2, 6, 3, 2.3, 1.6], ["L", "L", "L", "L", "L", "C", "R"], size=8.5, nowrap=(0, 1, 2, 4, 5, 6),
            heading=heading,
        )
    else:
        pdf.heading(heading, level=1, keep=10)
        pdf.para("季末无逾期未销号问题。")


def tiers_section(pdf, report):
    by = report["coverage_by"]
    names = [t["tier"] for t in report["tiers"]]  # 强基 创优 示范
    rows = [(g["name"], [g["tiers"][name] for name in names], f"{sum(g['tiers'].values())}个") for g in report["coverage"]]
    pdf.heading("四、村党组织分类变化", keep=charts.height_stacked(rows) if rows else 30)
    if rows:
        charts.draw_stacked(pdf, pdf.figure(f"各{by}村党组织分类（季末）"),
                            list(zip(names, ("hatch", "light", "dark"))), rows, "村（社区）数（个）")
    pdf.table(["分类", "季末村数", "上季末村数", "增减"],
              [[t["tier"], t["now"], t["before"], fmt_count_change(t["now"], t["before"])] for t in report["tiers"]],
              [3, 2, 2, 2], ["L", "R", "R", "R"])
    if report["tier_changes"]:
        pdf.table(["日期", "镇街", "村", "调整前", "调整后", "原因", "决定单位"],
                  [[fmt_date(c["date"]), c["township"], c["village"], c["from"], c["to"], c["reason"], c["decided_by"]]
                   for c in report["tier_changes"]],
                  [2.2, 2, 2.2, 1.4, 1.4, 5, 2.4], nowrap=(0, 3, 4), heading="本季度分类调整", level=2, bookmark=False)
    else:
        pdf.para("本季度无村党组织分类调整。")


def chains_section(pdf, report):
    chains = ("组织链", "产业链", "人才链")
    indicators = {chain: [i for i in report["indicators"] if i["chain"] == chain] for chain in chains}
    pairs = {chain: [(i["label"], i["value"], i["previous"], i["unit"], fmt_change(i)) for i in indicators[chain]]
             for chain in chains}
    text = f"本季度与上季度（{report['previous']}）各链主要指标（按发生日期计入季度）。"
    # the section's heading stays with its text and the first chain's heading and chart
    pdf.heading("五、三链指标", keep=pdf.para_height(text) + pdf.heading_height(1) + charts.height_pairs(pairs[chains[0]]))
    pdf.para(text)
    note = "注：各指标按本指标两季度中较大的数值满格绘制，数值标在条形右侧，增减列在最右。"
    for chain in chains:
        rows = pairs[chain]
        pdf.heading(chain, level=1, keep=charts.height_pairs(rows))
        charts.draw_pairs(pdf, pdf.figure(f"{chain}主要指标与上季度比较"), rows, note)
        pdf.table(["指标", "本季度", "上季度", "增减", "单位"],
                  [[i["label"], fmt(i["value"], i["unit"]), fmt(i["previous"], i["unit"]), fmt_change(i), i["unit"]]
                   for i in indicators[chain]],
                  [5, 2, 2, 2.4, 1.2], ["L", "R", "R", "R", "C"], nowrap=(3,))
        if chain == "产业链" and report["loans"]:
            pdf.ensure(charts.height_columns())
            charts.draw_columns(
                pdf, pdf.figure(f"近{len(report['loans'])}个季度新发放贷款"), "新发放贷款金额（万元）",
                [(q["amount"], f"{fmt(q['amount'])}万元", f"{q['year']}年{QUARTER_ZH[q['quarter']]}", f"{q['count']}笔")
                 for q in report["loans"]],
                "万元",
            )


def official_mark(official):
    return "正式版（季度关账数据）" if official["revision"] == 1 else f"正式版（关账数据第{official['revision'] - 1}次修订）"


def zh_day(moment):
    day = timezone.localtime(moment) if isinstance(moment, dt.datetime) else moment
    return f"{day.year}年{day.month}月{day.day}日"


def official_section(pdf, report):
    """六、季末锁定数据: the official version's figures, as the quarter's close froze them (revised ones
    marked, with their value at the close)."""
    official = report.get("official")
    if not official:
        return
    text = (f"本报告为{report['year']}年{report['quarter_zh']}关账后的正式版。本季度于{zh_day(official['closed_at'])}"
            f"经县级审核全部镇街后关账，下表数字取自关账时锁定的数据，此后的录入和修改不改变这些数字。")
    if official["revision"] > 1:
        text += (f"本版为第{official['revision'] - 1}次修订（{zh_day(official['made_at'])}，"
                 f"更正原因：{official['reason'] or '未说明'}），共修订{official['revised']}项数字，"
                 f"标“修订”的为更正后的数字，括号内为关账时的数值。")
    pdf.heading("六、季末锁定数据", keep=pdf.para_height(text) + 30)
    pdf.para(text)
    rows = official["rows"]
    pdf.table(["链", "指标", "锁定数值", "说明"],
              [[r["chain"], r["label"], r["shown"], f"修订（原 {r['first_shown']}）" if r["revised"] else "已锁定"] for r in rows],
              [1.6, 6, 2.6, 2.8], ["L", "L", "R", "L"], nowrap=(0, 2, 3),
              red_rows=[i for i, r in enumerate(rows) if r["revised"]])


# -- the appendix: the villages ------------------------------------------------------------------------
TITLE = 8.5
SUBTITLE = 6
INFO_ROW = 5
VILLAGE_LINE = 4.8  # the line height of a village's paragraphs
SEPARATOR = 5


def appendix(pdf, report, progress=None):
    pdf.add_page()
    pdf.heading("附录　一村一页：村情分析研判")
    pdf.para("按镇街排列，每个村（社区）列出基本情况、本季度走访与评分、村情分析研判和问题清单；各镇街另起一页。", size=9.5)
    count = len(report["villages"])
    done = 0
    for n, (township, villages) in enumerate(by_township(report["villages"])):
        if n:
            pdf.add_page()
        visited = sum(1 for v in villages if v["visits"])
        first = village_parts(pdf, villages[0])
        block = sum(h for h, _ in first)  # the first block stays with the heading (its head, if longer than a page)
        if block > pdf.page_room - 30:
            block = sum(h for h, _ in first[:4])
        pdf.heading(township, level=1, keep=LINE + 1 + block)
        pdf.para(f"共有村（社区）{len(villages)}个，本季度已走访{visited}个，未走访{len(villages) - visited}个。", size=9.5)
        for i, v in enumerate(villages):
            village_block(pdf, v, village_parts(pdf, v) if i else first)
            done += 1
            if progress is not None and (done % 20 == 0 or done == count):
                progress(done, count)


def village_block(pdf, v, parts):
    """Draw one village's block (``parts``): on this page when it fits, else from a new page (a block
    longer than a page starts here only when its head fits, and its tables go on with their headers)."""
    height = sum(h for h, _ in parts)
    head = sum(h for h, _ in parts[:4])  # the title, facts, visits and ratings
    separated = not pdf.at_top()
    if separated:
        height += SEPARATOR
    if pdf.will_page_break(height) and (height <= pdf.page_room or pdf.will_page_break(head + SEPARATOR)):
        pdf.add_page()
        separated = False
    if separated:
        y = pdf.get_y() + 1.5
        pdf.set_draw_color(150, 150, 150)
        pdf.set_line_width(0.3)
        pdf.line(MARGIN, y, pdf.w - MARGIN, y)
        pdf.set_y(y + SEPARATOR - 1.5)
    pdf.start_section(v["name"], level=2)  # after any page break: the bookmark lands on the village's page
    for _, draw in parts:
        draw()


def village_parts(pdf, v):
    """[(height, draw)] of a village's block, in order: laid out first, so the block can be placed whole."""
    info = [
        ("村代码", v["code"]), ("分类（季末）", v["tier"] + (f"（上季末{v['tier_before']}）" if v["tier_before"] != v["tier"] else "")),
        ("户数 / 人口", f"{v['households']:,} 户 / {v['population']:,} 人"),
        (f"{v['income_year']}年集体收入", formats.money(v["income"])),
        ("联建片区", v["zone"] or "—"), ("包村县直部门", v["department"] or "—"),
        ("包村领导", v["leader"] or "—"), ("发展顾问", v["advisor"] or "—"),
    ]
    visits = "；".join(f"{fmt_date(x['date'])} {x['visitors']}" for x in v["visits"]) if v["visits"] else "本季度尚未走访。"
    ratings = Table(pdf, ["评分", *[label for label, _, _ in v["ratings"]]],
                    [["本季度", *[fmt(now) for _, now, _ in v["ratings"]]],
                     ["上季度", *[fmt(before) for _, _, before in v["ratings"]]],
                     ["变化", *[fmt_count_change(now, before) if now is not None and before is not None else "—"
                              for _, now, before in v["ratings"]]]],
                    [2] + [2] * len(v["ratings"]), ["C"] * (1 + len(v["ratings"])), size=8.5)
    analysis = v["analysis"] or "—"
    problems = None
    if v["problems"]:
        problems = Table(
            pdf, ["类别", "问题", "责任单位", "发现日期", "整改时限", "季末状态"],
            [[p["category"], p["description"], p["unit"], fmt_date(p["found"]), fmt_date(p["deadline"]),
              p["status"] + ("（逾期）" if p["overdue"] else "")] for p in v["problems"]],
            [1.8, 5.5, 2.6, 2, 2, 2], ["L", "L", "L", "C", "C", "C"], size=8.5,
            red_rows=[i for i, p in enumerate(v["problems"]) if p["overdue"]], nowrap=(0, 2, 3, 4, 5),
        )

    def title():
        pdf.set_font(FONT, "B", 12.5)
        pdf.cell(0, TITLE - 1, f"{v['name']}（{v['township']}）", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)

    def facts():
        pdf.set_font(FONT, "", 9)
        half = pdf.epw / 2
        for i in range(0, len(info), 2):
            for label, value in info[i:i + 2]:
                pdf.set_text_color(*GREY)
                pdf.cell(26, INFO_ROW, label)
                pdf.set_text_color(0, 0, 0)
                pdf.cell(half - 26, INFO_ROW, str(value))
            pdf.ln(INFO_ROW)
        pdf.ln(1)

    def subtitle(text):
        pdf.set_font(FONT, "B", 10.5)
        pdf.cell(0, SUBTITLE, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def visits_part():
        subtitle("走访与评分")
        pdf.para(visits, size=9, color=None if v["visits"] else RED, line=VILLAGE_LINE)

    def problems_part():
        subtitle(f"问题清单（{len(v['problems'])}个）")
        if problems:
            pdf.draw_table(problems)
        else:
            pdf.para("无。", size=9, line=VILLAGE_LINE)

    def analysis_part():
        subtitle("村情分析研判")
        pdf.para(analysis, size=9, line=VILLAGE_LINE)

    return [
        (TITLE, title),
        (INFO_ROW * len(range(0, len(info), 2)) + 1, facts),
        (SUBTITLE + pdf.para_height(visits, size=9, line=VILLAGE_LINE), visits_part),
        (ratings.height, lambda: pdf.draw_table(ratings)),
        (SUBTITLE + pdf.para_height(analysis, size=9, line=VILLAGE_LINE), analysis_part),
        (SUBTITLE + (problems.height if problems else pdf.para_height("无。", size=9, line=VILLAGE_LINE)), problems_part),
    ]


# -- a city's report: the counties compared ------------------------------------------------------------
def city_outline_levels(report):
    """The levels of the bookmarks ``build_city`` makes, in order: 一 二 (each ranking) 三 (each county)."""
    return [0, 0] + [1] * len(report["rankings"]) + [0] + [1] * len(report["counties"])


def build_city(report, path, progress=None):
    """The city's report: the city's totals, the counties ranked, then one page per county."""
    pdf = ReportPDF(report["title"], report["platform"])
    cover(pdf, report)
    pdf.add_page()
    pdf.insert_toc_placeholder(render_toc, pages=toc_pages(report, levels=city_outline_levels(report)))
    totals = {t["label"]: t["value"] for t in report["totals"]}
    pdf.heading("一、总体情况", keep=30)
    pdf.para(
        f"{report['year']}年{report['quarter_zh']}（{fmt_date(report['start'])}至{fmt_date(report['end'])}），"
        f"{report['subject']}所辖{len(report['counties'])}个县（市、区）共有村（社区）{fmt(totals['村（社区）数'])}个，"
        f"已走访{fmt(totals['已走访村数'])}个；本季度发现问题{fmt(totals['本季度发现问题'])}个，"
        f"销号{fmt(totals['本季度销号问题'])}个，季末未销号{fmt(totals['季末未销号问题'])}个，"
        f"其中逾期{fmt(totals['其中逾期问题'])}个。各县（市、区）数字与本县报告一致。"
    )
    pdf.table(["指标", "本季度", "上季度", "增减", "单位"],
              [[t["label"], fmt(t["value"], t["unit"]), fmt(t["previous"], t["unit"]), fmt_change(t), t["unit"]]
               for t in report["totals"]],
              [5, 2, 2, 2.4, 1.2], ["L", "R", "R", "R", "C"], nowrap=(3,))
    coverage = next(r for r in report["rankings"] if r["label"] == "走访覆盖率")
    columns = [(row["value"] or 0, f"{fmt(row['value'], '%')}%" if row["value"] is not None else "—", row["county"],
                f"第{row['rank']}名" if row["rank"] else "") for row in coverage["rows"]]
    pdf.heading("二、各县（市、区）排名", keep=charts.height_columns())
    if columns:
        charts.draw_columns(pdf, pdf.figure("各县（市、区）走访覆盖率"), "走访覆盖率（%）", columns, "%")
    for ranking in report["rankings"]:
        order = {True: "高者在前", False: "低者在前", None: "多者在前"}[ranking["better"]]
        pdf.table(["名次", "县（市、区）", f"{ranking['label']}（{ranking['unit']}）"],
                  [[str(r["rank"] or "—"), r["county"], fmt(r["value"], ranking["unit"])] for r in ranking["rows"]],
                  [1.2, 4, 3], ["C", "L", "R"], heading=f"{ranking['label']}（{order}）")
    pdf.add_page()
    pdf.heading("三、分县情况")
    for i, county in enumerate(report["counties"], 1):
        if i > 1:
            pdf.add_page()
        pdf.heading(f"{county['name']}（{county['code']}）", level=1, keep=30)
        pdf.table(["指标", "本季度", "上季度", "增减", "单位"],
                  [[t["label"], fmt(t["value"], t["unit"]), fmt(t["previous"], t["unit"]), fmt_change(t), t["unit"]]
                   for t in county["summary"]],
                  [5, 2, 2, 2.4, 1.2], ["L", "R", "R", "R", "C"], size=8.5, nowrap=(3,))
        pdf.table(["链", "指标", "本季度", "上季度", "增减"],
                  [[t["chain"], t["label"], fmt(t["value"], t["unit"]) + t["unit"], fmt(t["previous"], t["unit"]) + t["unit"],
                    fmt_change(t)] for t in county["indicators"]],
                  [1.4, 5, 2.2, 2.2, 2.2], ["C", "L", "R", "R", "R"], size=8.5, nowrap=(4,))
        pdf.table(["镇街", "村数", "已走访", "覆盖率", "未销号问题", "逾期问题"],
                  [[g["name"], g["villages"], g["visited"], fmt(g["coverage"], "%") + "%" if g["coverage"] is not None else "—",
                    g["open"], g["overdue"]] for g in county["coverage"]],
                  [4, 1.5, 1.5, 1.5, 2, 2], ["L", "R", "R", "R", "R", "R"], size=8.5)
        if progress is not None:
            progress(i, len(report["counties"]))
    pdf.output(str(path))
    return pdf.pages_count
