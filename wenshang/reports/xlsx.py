"""The report as an XLSX workbook (openpyxl, write-only): one sheet per section of the PDF."""
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from wenshang.kernel.spreadsheets import xlsx_cell
from wenshang.reports.data import RATINGS

HEAD_FONT = Font(bold=True)
HEAD_FILL = PatternFill("solid", fgColor="E2E8F0")
TITLE_FONT = Font(bold=True, size=14)
RED_FONT = Font(color="B41E1E")
WRAP = Alignment(wrap_text=True, vertical="top")
UNIT_ZH = {"count": "个", "yuan": "元", "mu": "亩", "percent": "%"}


def _sheet(wb, title, headers, rows, widths, caption=None, red=()):
    ws = wb.create_sheet(title)
    for i, width in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    ws.freeze_panes = "A3" if caption else "A2"
    if caption:
        ws.append([xlsx_cell(ws, caption, font=TITLE_FONT)])
    _head(ws, headers)
    red = set(red)
    for i, row in enumerate(rows):
        font = RED_FONT if i in red else None
        ws.append([xlsx_cell(ws, value, font=font) for value in row])
    return ws


def _head(ws, headers):
    ws.append([xlsx_cell(ws, h, font=HEAD_FONT, fill=HEAD_FILL) for h in headers])


def build(report, path):
    """Write the workbook of ``report`` (``data.collect``) to ``path``."""
    if report["scope"] == "city":
        return build_city(report, path)
    wb = Workbook(write_only=True)
    title = report["title"]
    _sheet(wb, "总体情况", ["指标", "本季度", "上季度", "增减", "增减（%）", "单位"],
           [[s["label"], s["value"], s["previous"], s["delta"], s["change"], s["unit"]] for s in report["summary"]],
           [28, 12, 12, 12, 12, 8], caption=title)
    _sheet(wb, "走访覆盖", [report["coverage_by"], "村数", "已走访", "覆盖率（%）", "未销号问题", "逾期问题", "未走访的村"],
           [[g["name"], g["villages"], g["visited"], g["coverage"], g["open"], g["overdue"], "、".join(g["not_visited"])]
            for g in report["coverage"]],
           [22, 8, 8, 12, 12, 10, 60], caption=f"{title} · 走访覆盖")
    _sheet(wb, "未走访村", ["镇街", "村（社区）", "代码", "包村领导"],
           [[n["township"], n["village"], n["code"], n["leader"]] for n in report["not_visited"]],
           [16, 18, 16, 16], caption="本季度尚未走访的村")
    _sheet(wb, "问题分类", ["问题类别", "本季度发现", "本季度销号", "季末未整改", "季末整改中", "季末逾期"],
           [[c["category"], c["found"], c["closed"], c["open"], c["in_progress"], c["overdue"]] for c in report["by_category"]],
           [14, 12, 12, 12, 12, 12], caption="问题按类别和状态")
    _sheet(wb, "逾期问题", ["镇街", "村", "类别", "问题", "责任单位", "整改时限", "逾期天数", "季末状态"],
           [[o["township"], o["village"], o["category"], o["description"], o["unit"], o["deadline"], o["days"], o["status"]]
            for o in report["overdue"]],
           [12, 14, 12, 50, 20, 12, 10, 10], caption="季末逾期未销号问题")
    tiers = [[t["tier"], t["now"], t["before"], t["now"] - t["before"]] for t in report["tiers"]]
    ws = _sheet(wb, "分类变化", ["分类", "季末村数", "上季末村数", "增减"], tiers, [14, 12, 12, 10, 10, 40, 16],
                caption="村党组织分类变化")
    ws.append([])
    _head(ws, ("日期", "镇街", "村", "调整前", "调整后", "原因", "决定单位"))
    for c in report["tier_changes"]:
        ws.append([xlsx_cell(ws, v) for v in (c["date"], c["township"], c["village"], c["from"], c["to"], c["reason"], c["decided_by"])])
    _sheet(wb, "三链指标", ["链", "指标", "本季度", "上季度", "增减", "增减（%）", "单位"],
           [[i["chain"], i["label"], i["value"], i["previous"], i["delta"], i["change"], i["unit"]] for i in report["indicators"]],
           [10, 30, 12, 12, 12, 12, 8], caption=f"三链指标：本季度与上季度（{report['previous']}）")
    official = report.get("official")
    if official:
        rows = official["rows"]
        caption = f"{title} · 季末锁定数据（正式版" + (f"，第{official['revision'] - 1}次修订：{official['reason']}）"
                                                     if official["revision"] > 1 else "）")
        _sheet(wb, "锁定数据", ["链", "指标", "锁定数值", "单位", "是否修订", "关账时数值"],
               [[r["chain"], r["label"], r["value"], UNIT_ZH.get(r["unit"], r["unit"]), "修订" if r["revised"] else "",
                 r["first"] if r["revised"] else None] for r in rows],
               [10, 36, 16, 8, 10, 16], caption=caption, red=[i for i, r in enumerate(rows) if r["revised"]])
    rating_heads = [f"{label}（本季度）" for _, label in RATINGS]
    _sheet(wb, "一村一页",
           ["镇街", "村（社区）", "代码", "分类（季末）", "户数", "人口", "联建片区", "包村领导", "发展顾问", "走访日期",
            *rating_heads, "村情分析研判", "问题数", "其中逾期"],
           [[v["township"], v["name"], v["code"], v["tier"], v["households"], v["population"], v["zone"], v["leader"],
             v["advisor"], "、".join(str(x["date"]) for x in v["visits"]), *[now for _, now, _ in v["ratings"]],
             v["analysis"], len(v["problems"]), sum(1 for p in v["problems"] if p["overdue"])] for v in report["villages"]],
           [12, 14, 15, 10, 8, 8, 22, 20, 22, 12, 10, 10, 10, 10, 10, 60, 8, 8], caption="村情分析研判（每村一行）")
    problems = []
    red = []
    for v in report["villages"]:
        for p in v["problems"]:
            if p["overdue"]:
                red.append(len(problems))
            problems.append([v["township"], v["name"], p["category"], p["description"], p["unit"], p["found"], p["deadline"],
                             p["status"], "是" if p["overdue"] else "否"])
    _sheet(wb, "问题清单", ["镇街", "村", "类别", "问题", "责任单位", "发现日期", "整改时限", "季末状态", "逾期"], problems,
           [12, 14, 12, 50, 20, 12, 12, 10, 6], caption="各村问题清单", red=red)
    wb.save(str(path))


def build_city(report, path):
    """A city's workbook: its totals, the counties ranked, each county's figures, indicators and townships."""
    wb = Workbook(write_only=True)
    title = report["title"]
    _sheet(wb, "总体情况", ["指标", "本季度", "上季度", "增减", "增减（%）", "单位"],
           [[t["label"], t["value"], t["previous"], t["delta"], t["change"], t["unit"]] for t in report["totals"]],
           [28, 12, 12, 12, 12, 8], caption=title)
    heads = ["县（市、区）"]
    for r in report["rankings"]:
        heads += [f"{r['label']}（{r['unit']}）", "名次"]
    by_county = {p["code"]: [p["name"]] for p in report["counties"]}
    for r in report["rankings"]:
        for row in r["rows"]:
            by_county[row["code"]] += [row["value"], row["rank"]]
    _sheet(wb, "各县排名", heads, list(by_county.values()),
           [14] + [12, 6] * len(report["rankings"]), caption="各县（市、区）主要指标及名次")
    labels = [t["label"] for t in report["counties"][0]["summary"]] if report["counties"] else []
    _sheet(wb, "分县总体情况", ["县（市、区）", "代码", *labels],
           [[p["name"], p["code"], *[t["value"] for t in p["summary"]]] for p in report["counties"]],
           [14, 10] + [12] * len(labels), caption="各县（市、区）本季度主要数字")
    _sheet(wb, "分县三链指标", ["县（市、区）", "链", "指标", "本季度", "上季度", "增减", "增减（%）", "单位"],
           [[p["name"], t["chain"], t["label"], t["value"], t["previous"], t["delta"], t["change"], t["unit"]]
            for p in report["counties"] for t in p["indicators"]],
           [14, 10, 30, 12, 12, 12, 12, 8], caption=f"三链指标：本季度与上季度（{report['previous']}）")
    _sheet(wb, "分县走访覆盖", ["县（市、区）", "镇街", "村数", "已走访", "覆盖率（%）", "未销号问题", "逾期问题"],
           [[p["name"], g["name"], g["villages"], g["visited"], g["coverage"], g["open"], g["overdue"]]
            for p in report["counties"] for g in p["coverage"]],
           [14, 18, 8, 8, 12, 12, 10], caption="各县（市、区）各镇街走访覆盖")
    wb.save(str(path))
