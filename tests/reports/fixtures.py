"""Fixtures of the report tests (also used by tests/e2e/test_reports.py): a small surveyed county, 寅寺镇 (3 villages,
one zone) and 南旺镇 (1 village), rounds 2024 Q1 and Q2."""
import datetime as dt
from decimal import Decimal

import pytest

from alliances.models import JointCommittee, JointCommitteeVillage
from finance.models import Loan
from villages.models import SurveyAssignment, SurveyProblem, SurveyRound, SurveyVisit, TierChange, Village


def visit(round_, village, day, rating=3, analysis="村情平稳"):
    return SurveyVisit.objects.create(round=round_, village=village, visited_on=day, visitors="张三（县委组织部）",
                                      rating_organization=rating, rating_industry=rating, rating_talent=rating,
                                      rating_governance=rating, rating_environment=rating, analysis=analysis)


def problem(v, category="industry", deadline=dt.date(2024, 5, 31), status="open", closed_on=None):
    return SurveyProblem.objects.create(
        visit=v, village=v.village, category=category, description=f"{v.village.name}问题", responsible_unit="县农业农村局",
        deadline=deadline, status=status, closed_on=closed_on, closure_evidence="验收照片" if closed_on else "",
    )


@pytest.fixture
def survey(township_a, township_b, village_a, village_b):
    xi = Village.objects.create(township=township_a, code="370830104202", name="西石楼村", tier="foundation")
    bei = Village.objects.create(township=township_a, code="370830104203", name="北石楼村")
    q1 = SurveyRound.objects.create(year=2024, quarter=1, start_date=dt.date(2024, 1, 1), end_date=dt.date(2024, 3, 31),
                                    theme="一季度大调研")
    q2 = SurveyRound.objects.create(year=2024, quarter=2, start_date=dt.date(2024, 4, 1), end_date=dt.date(2024, 6, 30),
                                    theme="二季度大调研")
    for v in (village_a, xi, bei, village_b):
        SurveyAssignment.objects.create(round=q2, village=v, leader_name=f"{v.name}包村领导")
    old = visit(q1, village_a, dt.date(2024, 2, 1), rating=2)
    visit(q1, xi, dt.date(2024, 2, 2))
    problem(old, "organization", deadline=dt.date(2024, 3, 15), status="closed", closed_on=dt.date(2024, 3, 10))
    problem(old, "talent", deadline=dt.date(2024, 4, 15), status="closed", closed_on=dt.date(2024, 5, 1))
    now_a = visit(q2, village_a, dt.date(2024, 4, 10), rating=4, analysis="东石楼村产业发展较快")
    now_b = visit(q2, village_b, dt.date(2024, 4, 12))
    problem(now_a, "industry", deadline=dt.date(2024, 5, 31))  # overdue at the quarter's end
    problem(now_a, "environment", deadline=dt.date(2024, 9, 30), status="in_progress")  # open, not overdue
    problem(now_b, "governance", deadline=dt.date(2024, 6, 1), status="closed", closed_on=dt.date(2024, 6, 20))
    TierChange.objects.create(village=xi, date=dt.date(2024, 5, 1), from_tier="excellence", to_tier="foundation",
                              reason="党组织软弱涣散", decided_by="县委组织部")
    committee = JointCommittee.objects.create(name="寅寺示范区联合党委", township=township_a, county_leader="李四",
                                              established_on=dt.date(2023, 1, 1))
    for v in (village_a, xi):
        JointCommitteeVillage.objects.create(committee=committee, village=v, department="县农业农村局",
                                             joined_on=dt.date(2023, 1, 1))
    for day, amount in ((dt.date(2024, 2, 1), 100000), (dt.date(2024, 5, 1), 200000), (dt.date(2024, 6, 1), 300000)):
        Loan.objects.create(kind="startup_guarantee", bank="汶上农商银行", borrower_name="王五",
                            borrower_id_number="370830199001011235", township=township_a, village=village_a,
                            amount=Decimal(amount), annual_rate=Decimal("4.10"), term_months=36, granted_on=day,
                            due_on=day + dt.timedelta(days=1000))
    return {"q1": q1, "q2": q2, "xi": xi, "bei": bei, "committee": committee, "a": township_a, "b": township_b,
            "village_a": village_a, "village_b": village_b}


@pytest.fixture
def reports_dir(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.REPORTS_DIR = str(tmp_path / "media" / "reports")
    return tmp_path / "media" / "reports"
