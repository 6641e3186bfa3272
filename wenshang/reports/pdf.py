"""The report as a PDF (fpdf2): a cover, the contents (also as bookmarks), six sections and one page
per village, with the Chinese font embedded (a subset of Noto Sans SC, shipped in ``fonts/``; ``settings.REPORT_FONT``)
and page numbers ("第 3 页 / 共 360 页") in the footer."""
from django.conf import settings
from fpdf import FPDF
from fpdf.enums import XPos, YPos

FONT = "noto"
MARGIN = 16
LINE = 6.2
GREY = (110, 110, 110)
RED = (180, 30, 30)
HEAD_FILL = (226, 232, 240)


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


def fmt_change(change):
    if change is None:
        return "—"
    return f"{change:+.1f}%"


def fmt_date(d):
    return d.strftime("%Y-%m-%d") if d else "—"


class ReportPDF(FPDF):
    def __init__(self, title):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.report_title = title
        self.set_margins(MARGIN, MARGIN + 4, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN + 2)
        self.add_font(FONT, "", settings.REPORT_FONT, collection_font_number=settings.REPORT_FONT_INDEX)
        self.add_font(FONT, "B", settings.REPORT_FONT_BOLD, collection_font_number=settings.REPORT_FONT_INDEX)
        self.set_title(title)
        self.set_author("汶上县乡村振兴“三链融合”服务平台")
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
        self.set_y(MARGIN + 4)
        self.set_text_color(0, 0, 0)

    def footer(self):
        if self.page_no() == 1:
            return
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.set_text_color(*GREY)
        self.cell(0, 5, f"第 {self.page_no()} 页 / 共 {{nb}} 页", align="C")
        self.set_text_color(0, 0, 0)

    # -- building blocks ----------------------------------------------------------------------------
    def heading(self, text, level=0, bookmark=True):
        size = {0: 15, 1: 12.5, 2: 11}[level]
        if self.will_page_break(size + 8):
            self.add_page()
        if bookmark:
            self.start_section(text, level=level)
        self.set_font(FONT, "B", size)
        self.ln(2 if level else 1)
        self.cell(0, size * 0.6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)
        self.set_font(FONT, "", 10)

    def para(self, text, size=10):
        self.set_font(FONT, "", size)
        self.multi_cell(0, LINE, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def table(self, headers, rows, widths, aligns=None, size=9, red_rows=()):
        """A table whose cells wrap; the header is repeated on a new page."""
        total = self.w - 2 * MARGIN
        widths = [w * total / sum(widths) for w in widths]
        aligns = aligns or ["L"] * len(headers)
        lh = size * 0.52

        def row(cells, bold=False, fill=False, color=None):
            self.set_font(FONT, "B" if bold else "", size)
            lines = [self.multi_cell(w, lh, str(c), dry_run=True, output="LINES") for w, c in zip(widths, cells)]
            height = max(len(x) for x in lines) * lh + 1.6
            if self.will_page_break(height):
                self.add_page()
                if not bold:
                    row(headers, bold=True, fill=True)
                    self.set_font(FONT, "", size)
            x, y = self.l_margin, self.get_y()
            if color:
                self.set_text_color(*color)
            for w, c, a in zip(widths, cells, aligns):
                if fill:
                    self.set_fill_color(*HEAD_FILL)
                self.rect(x, y, w, height, style="DF" if fill else "D")
                self.set_xy(x, y + 0.8)
                self.multi_cell(w, lh, str(c), align="C" if bold else a, new_x=XPos.RIGHT, new_y=YPos.TOP)
                x += w
            self.set_text_color(0, 0, 0)
            self.set_xy(self.l_margin, y + height)

        self.set_draw_color(170, 170, 170)
        row(headers, bold=True, fill=True)
        red = set(red_rows)
        for i, cells in enumerate(rows):
            row([fmt(c) if not isinstance(c, str) else c for c in cells], color=RED if i in red else None)
        self.ln(3)


def render_toc(pdf, outline):
    pdf.set_font(FONT, "B", 16)
    pdf.set_x(MARGIN)
    pdf.cell(0, TOC_TITLE - 2, "目　录", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    for entry in outline:
        if entry.level > 2:
            continue
        indent = 7 * entry.level
        pdf.set_font(FONT, "B" if entry.level == 0 else "", 10.5 if entry.level == 0 else 9.5)
        link = pdf.add_link(page=entry.page_number)
        pdf.set_x(MARGIN + indent)
        width = pdf.w - 2 * MARGIN - indent - 14
        name = entry.name
        dots = max(2, int((width - pdf.get_string_width(name)) / pdf.get_string_width("·")) - 1)
        pdf.cell(width, TOC_LINE[entry.level], f"{name} {'·' * dots}", link=link)
        pdf.cell(14, TOC_LINE[entry.level], str(entry.page_number), align="R", link=link,
                 new_x=XPos.LMARGIN, new_y=YPos.NEXT)


TOC_TOP, TOC_TITLE, TOC_LINE = MARGIN + 4, 12, {0: 6.4, 1: 5.4, 2: 5.4}


def outline_levels(report):
    """The levels of the bookmarks ``build`` makes, in order (the contents list them all)."""
    levels = [0, 0, 1, 0, 1, 0, 0, 1, 1, 1, 0]
    township = None
    for v in report["villages"]:
        if v["township"] != township:
            township = v["township"]
            levels.append(1)
        levels.append(2)
    return levels


def toc_pages(report, page_height=297):
    """How many pages the contents take (the same layout as ``render_toc``)."""
    bottom = page_height - (MARGIN + 2)
    pages, y = 1, TOC_TOP + TOC_TITLE
    for level in outline_levels(report):
        h = TOC_LINE[level]
        if y + h > bottom:
            pages, y = pages + 1, TOC_TOP
        y += h
    return pages


def build(report, path, progress=None):
    """Write the PDF of ``report`` (``data.collect``) to ``path``; returns the number of pages.
    ``progress(done, total)`` is called as village pages are written."""
    pdf = ReportPDF(report["title"])
    cover(pdf, report)
    pdf.add_page()
    pdf.insert_toc_placeholder(render_toc, pages=toc_pages(report))  # then on a new page
    pdf.heading("一、总体情况")
    rnd = report["round"]
    dates = report["round_dates"]
    visited = next(s for s in report["summary"] if s["label"] == "已走访村数")["value"]
    total = report["summary"][0]["value"]
    pdf.para(
        f"{report['year']}年{report['quarter_zh']}（{fmt_date(report['start'])}至{fmt_date(report['end'])}），"
        + (f"全县组织开展“{rnd}”（{fmt_date(dates[0])}至{fmt_date(dates[1])}）。" if rnd else "本季度未安排大调研轮次。")
        + f"{report['subject']}共有村（社区）{total}个，已走访{visited}个。"
        f"下表为本季度主要数字及与上季度（{report['previous']}）的比较。"
    )
    pdf.table(
        ["指标", "本季度", "上季度", "增减", "单位"],
        [[s["label"], fmt(s["value"], s["unit"]), fmt(s["previous"], s["unit"]), fmt_change(s["change"]), s["unit"]]
         for s in report["summary"]],
        [5, 2, 2, 2, 1.2], ["L", "R", "R", "R", "C"],
    )

    pdf.heading("二、走访覆盖")
    pdf.table(
        [report["coverage_by"], "村数", "已走访", "覆盖率", "未销号问题", "逾期问题"],
        [[g["name"], g["villages"], g["visited"], fmt(g["coverage"], "%") + "%" if g["coverage"] is not None else "—",
          g["open"], g["overdue"]] for g in report["coverage"]],
        [4, 1.5, 1.5, 1.5, 2, 2], ["L", "R", "R", "R", "R", "R"],
    )
    pdf.heading("尚未走访的村", level=1)
    if report["not_visited"]:
        pdf.table(["镇街", "村（社区）", "代码", "包村领导"],
                  [[n["township"], n["village"], n["code"], n["leader"] or "—"] for n in report["not_visited"]],
                  [3, 3, 3, 3])
    else:
        pdf.para("本季度所有村（社区）均已走访。")

    pdf.heading("三、问题发现与整改")
    pdf.table(
        ["问题类别", "本季度发现", "本季度销号", "季末未整改", "季末整改中", "季末逾期"],
        [[c["category"], c["found"], c["closed"], c["open"], c["in_progress"], c["overdue"]] for c in report["by_category"]],
        [3, 2, 2, 2, 2, 2], ["L", "R", "R", "R", "R", "R"],
    )
    pdf.heading(f"逾期未销号问题（{len(report['overdue'])}个）", level=1)
    if report["overdue"]:
        pdf.table(
            ["镇街", "村", "类别", "问题", "责任单位", "整改时限", "逾期天数"],
            [[o["township"], o["village"], o["category"], o["description"], o["unit"], fmt_date(o["deadline"]), o["days"]]
             for o in report["overdue"]],
            [2, 2.2, 2, 6, 3, 2.3, 1.6], ["L", "L", "L", "L", "L", "C", "R"],
        )
    else:
        pdf.para("季末无逾期未销号问题。")

    pdf.heading("四、村党组织分类变化")
    pdf.table(["分类", "季末村数", "上季末村数", "增减"],
              [[t["tier"], t["now"], t["before"], f"{t['now'] - t['before']:+d}"] for t in report["tiers"]],
              [3, 2, 2, 2], ["L", "R", "R", "R"])
    if report["tier_changes"]:
        pdf.table(["日期", "镇街", "村", "调整前", "调整后", "原因", "决定单位"],
                  [[fmt_date(c["date"]), c["township"], c["village"], c["from"], c["to"], c["reason"], c["decided_by"]]
                   for c in report["tier_changes"]],
                  [2.2, 2, 2.2, 1.4, 1.4, 5, 2.4])
    else:
        pdf.para("本季度无村党组织分类调整。")

    pdf.heading("五、三链指标")
    pdf.para(f"本季度与上季度（{report['previous']}）各链主要指标（按发生日期计入季度）。")
    for chain in ("组织链", "产业链", "人才链"):
        pdf.heading(chain, level=1)
        rows = [i for i in report["indicators"] if i["chain"] == chain]
        pdf.table(["指标", "本季度", "上季度", "增减", "单位"],
                  [[i["label"], fmt(i["value"], i["unit"]), fmt(i["previous"], i["unit"]), fmt_change(i["change"]), i["unit"]]
                   for i in rows],
                  [5, 2, 2, 2, 1.2], ["L", "R", "R", "R", "C"])

    pdf.add_page()
    pdf.heading("六、一村一页：村情分析研判")
    township = None
    count = len(report["villages"])
    for n, v in enumerate(report["villages"], 1):
        if v["township"] != township:
            township = v["township"]
            pdf.start_section(township, level=1)
        village_page(pdf, v, first=n == 1)
        if progress is not None and (n % 20 == 0 or n == count):
            progress(n, count)
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
    ):
        pdf.cell(0, 9, line, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(-60)
    pdf.set_font(FONT, "", 12)
    pdf.cell(0, 8, "汶上县乡村振兴“三链融合”服务平台", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def village_page(pdf, v, first=False):
    if not first:
        pdf.add_page()
    pdf.start_section(v["name"], level=2)
    pdf.set_font(FONT, "B", 14)
    pdf.cell(0, 9, f"{v['name']}（{v['township']}）", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)
    info = [
        ("村代码", v["code"]), ("分类（季末）", v["tier"] + (f"（上季末{v['tier_before']}）" if v["tier_before"] != v["tier"] else "")),
        ("户数 / 人口", f"{v['households']:,} 户 / {v['population']:,} 人"),
        (f"{v['income_year']}年集体收入", f"{v['income'] / 10000:,.2f} 万元" if v["income"] is not None else "—"),
        ("联建片区", v["zone"] or "—"), ("包村县直部门", v["department"] or "—"),
        ("包村领导", v["leader"] or "—"), ("发展顾问", v["advisor"] or "—"),
    ]
    pdf.set_font(FONT, "", 9.5)
    half = (pdf.w - 2 * MARGIN) / 2
    for i in range(0, len(info), 2):
        for label, value in info[i:i + 2]:
            pdf.set_text_color(*GREY)
            pdf.cell(26, 6, label)
            pdf.set_text_color(0, 0, 0)
            pdf.cell(half - 26, 6, str(value))
        pdf.ln(6)
    pdf.ln(2)
    pdf.set_font(FONT, "B", 11)
    pdf.cell(0, 7, "走访与评分", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if v["visits"]:
        pdf.para("；".join(f"{fmt_date(x['date'])} {x['visitors']}" for x in v["visits"]), size=9.5)
    else:
        pdf.set_text_color(*RED)
        pdf.para("本季度尚未走访。", size=9.5)
        pdf.set_text_color(0, 0, 0)
    pdf.table(["维度", "本季度", "上季度", "变化"],
              [[label, fmt(now), fmt(before), f"{now - before:+d}" if now is not None and before is not None else "—"]
               for label, now, before in v["ratings"]],
              [3, 2, 2, 2], ["L", "C", "C", "C"], size=9)
    pdf.set_font(FONT, "B", 11)
    pdf.cell(0, 7, "村情分析研判", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.para(v["analysis"] or "—", size=9.5)
    pdf.set_font(FONT, "B", 11)
    pdf.cell(0, 7, f"问题清单（{len(v['problems'])}个）", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if v["problems"]:
        pdf.table(["类别", "问题", "责任单位", "发现日期", "整改时限", "季末状态"],
                  [[p["category"], p["description"], p["unit"], fmt_date(p["found"]), fmt_date(p["deadline"]),
                    p["status"] + ("（逾期）" if p["overdue"] else "")] for p in v["problems"]],
                  [1.8, 5.5, 2.6, 2, 2, 2], ["L", "L", "L", "C", "C", "C"], size=8.5,
                  red_rows=[i for i, p in enumerate(v["problems"]) if p["overdue"]])
    else:
        pdf.para("无。", size=9.5)
