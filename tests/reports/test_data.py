"""The report's figures, computed from the records as of the quarter's end, in a fixed number of queries."""
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from villages.models import Village
from wenshang.reports import data

pytestmark = pytest.mark.django_db


def summary(report):
    return {s["label"]: (s["value"], s["previous"]) for s in report["summary"]}


def test_county_report_figures(survey):
    report = data.collect(data.subject_from_key("county"), 2024, 2)
    assert report["title"] == "汶上县2024年第二季度乡村振兴大调研报告"
    s = summary(report)
    assert s["村（社区）数"][0] == 4
    assert s["已走访村数"] == (2, 2)
    assert s["走访覆盖率"] == (50.0, 50.0)
    assert s["本季度发现问题"][0] == 3
    # closed in Q2: the talent problem (05-01) and the governance problem (06-20)
    assert s["本季度销号问题"][0] == 2
    assert s["季末未销号问题"][0] == 2
    assert s["其中逾期问题"][0] == 1
    assert s["平均评分·组织建设"] == (3.5, 2.5)
    coverage = {g["name"]: g for g in report["coverage"]}
    assert coverage["寅寺镇"]["visited"] == 1 and coverage["寅寺镇"]["villages"] == 3
    assert sorted(coverage["寅寺镇"]["not_visited"]) == ["北石楼村", "西石楼村"]
    assert coverage["南旺镇"]["coverage"] == 100.0
    assert [n["village"] for n in report["not_visited"]] == ["西石楼村", "北石楼村"]
    assert report["not_visited"][0]["leader"] == "西石楼村包村领导"
    overdue = report["overdue"]
    assert [(o["village"], o["category"], o["days"]) for o in overdue] == [("东石楼村", "产业发展", 30)]
    cats = {c["category"]: c for c in report["by_category"]}
    assert cats["产业发展"]["found"] == 1 and cats["产业发展"]["overdue"] == 1 and cats["产业发展"]["open"] == 1
    assert cats["人居环境"]["in_progress"] == 1
    assert cats["人才队伍"]["closed"] == 1 and cats["组织建设"]["closed"] == 0  # closed in Q1, before this quarter


def test_summary_has_last_quarters_figures(survey):
    """Q1: two problems found (organization, closed 03-10; talent, open at the end and not yet overdue)."""
    report = data.collect(data.subject_from_key("county"), 2024, 2)
    s = {row["label"]: row for row in report["summary"]}
    assert [(s[label]["value"], s[label]["previous"]) for label in ("本季度发现问题", "本季度销号问题", "季末未销号问题", "其中逾期问题")] \
        == [(3, 2), (2, 1), (2, 1), (1, 0)]
    assert s["村（社区）数"]["previous"] == 4
    assert (s["本季度发现问题"]["delta"], s["本季度发现问题"]["change"]) == (1, 50.0)
    assert (s["其中逾期问题"]["delta"], s["其中逾期问题"]["change"]) == (1, None)  # from zero: no percentage
    assert (s["走访覆盖率"]["delta"], s["走访覆盖率"]["change"]) == (0, None)  # percentage points, not %
    assert s["平均评分·组织建设"]["delta"] == 1.0
    assert all(row["previous"] is not None for row in report["summary"])


def test_chart_figures_by_group_and_by_quarter(survey):
    report = data.collect(data.subject_from_key("county"), 2024, 2)
    tiers = {g["name"]: g["tiers"] for g in report["coverage"]}
    assert tiers["寅寺镇"] == {"强基": 1, "创优": 2, "示范": 0}
    assert tiers["南旺镇"] == {"强基": 0, "创优": 1, "示范": 0}
    assert [(q["label"], q["count"], q["amount"]) for q in report["loans"]] == [
        ("2023年第三季度", 0, 0.0), ("2023年第四季度", 0, 0.0), ("2024年第一季度", 1, 10.0), ("2024年第二季度", 2, 50.0)]


def test_tiers_follow_the_history_to_each_quarter_end(survey):
    q2 = data.collect(data.subject_from_key("county"), 2024, 2)
    tiers = {t["tier"]: (t["now"], t["before"]) for t in q2["tiers"]}
    assert tiers["强基"] == (1, 0)  # 西石楼村 moved to 强基 on 2024-05-01
    assert tiers["创优"] == (3, 4)
    assert [(c["village"], c["from"], c["to"]) for c in q2["tier_changes"]] == [("西石楼村", "创优", "强基")]
    q1 = data.collect(data.subject_from_key("county"), 2024, 1)
    assert q1["tier_changes"] == []
    assert {t["tier"]: t["now"] for t in q1["tiers"]}["强基"] == 0


def test_chain_indicators_compare_with_the_previous_quarter(survey):
    report = data.collect(data.subject_from_key("township:370830104"), 2024, 2)
    loans = {i["label"]: i for i in report["indicators"]}
    assert (loans["新发放贷款笔数"]["value"], loans["新发放贷款笔数"]["previous"]) == (2, 1)
    assert loans["新发放贷款笔数"]["change"] == 100.0
    assert (loans["新发放贷款金额"]["value"], loans["新发放贷款金额"]["previous"]) == (50.0, 10.0)  # 万元
    other = data.collect(data.subject_from_key("township:370830102"), 2024, 2)
    assert {i["label"]: i["value"] for i in other["indicators"]}["新发放贷款笔数"] == 0


def test_township_and_zone_reports_cover_their_villages(survey):
    township = data.collect(data.subject_from_key("township:370830104"), 2024, 2)
    assert [v["name"] for v in township["villages"]] == ["东石楼村", "西石楼村", "北石楼村"]
    assert township["coverage_by"] == "联建片区"
    zone = data.subject_from_key(f"zone:{survey['committee'].pk}")
    assert zone.township == survey["a"]
    report = data.collect(zone, 2024, 2)
    assert [v["name"] for v in report["villages"]] == ["东石楼村", "西石楼村"]
    assert report["title"] == "寅寺示范区联合党委2024年第二季度乡村振兴大调研报告"
    page = report["villages"][0]
    assert page["analysis"] == "东石楼村产业发展较快"
    assert page["ratings"][0] == ("组织建设", 4, 2)
    assert page["zone"] == "寅寺示范区联合党委" and page["leader"] == "东石楼村包村领导"
    # by deadline: the talent problem (closed in Q2), the overdue industry one, the environment one
    assert [(p["category"], p["overdue"]) for p in page["problems"]] == [("人才队伍", False), ("产业发展", True), ("人居环境", False)]
    with pytest.raises(LookupError):
        data.subject_from_key("township:999999999")


def test_queries_do_not_grow_with_villages(survey):
    subject = data.subject_from_key("county")
    with CaptureQueriesContext(connection) as few:
        data.collect(subject, 2024, 2)
    for i in range(10):
        Village.objects.create(township=survey["a"], code=f"370830104{300 + i}", name=f"新村{i}")
    with CaptureQueriesContext(connection) as many:
        report = data.collect(subject, 2024, 2)
    assert len(report["villages"]) == 14
    assert len(many) == len(few) <= 30


def test_quarter_helpers():
    assert data.quarter_dates(2024, 4) == (dt.date(2024, 10, 1), dt.date(2024, 12, 31))
    assert data.previous_quarter(2024, 1) == (2023, 4)
    assert data.quarter_of(dt.date(2024, 7, 1)) == (2024, 3)
