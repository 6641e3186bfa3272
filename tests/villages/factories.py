"""The factories of the villages app's entities (collected by ``tests.factories``: use
``make(Model, township, n)`` from there). Add the factory of a new villages entity to ``FACTORIES``.

Records without a township (the county, survey rounds) are made all the same: ``make(County, t)``
is the township's county and ``make(Township, t)`` the township itself (``n > 0``: another county
or township, which belongs to no township of the test's).
"""
import datetime as dt
from decimal import Decimal

from tests.factory_helpers import DAY
from tests.talent.helpers import village
from villages import models as vm


def city(township, n=0):
    """The city of the township's county (made its city on first use; ``n > 0``: another city)."""
    made = vm.City.objects.get_or_create(code=f"{3708 + n}00", defaults={"name": f"试点{n}市"})[0]
    if n == 0 and township.county.city_id is None:
        township.county.city = made
        township.county.save()
    return made


def county(township, n=0):
    if n == 0:
        return township.county
    return vm.County.objects.get_or_create(code=f"{370900 + n}", defaults={"name": f"试点{n}县"})[0]


def township_(township, n=0):
    if n == 0:
        return township
    return vm.Township.objects.get_or_create(
        code=f"{township.county.code}{500 + n:03d}", defaults={"county": township.county, "name": f"新设{n}镇"}
    )[0]


def tier_change(township, n=0):
    v = village(township, n)
    return vm.TierChange.objects.create(village=v, date=dt.date(2021, 3, 15), from_tier="", to_tier=v.tier,
                                        reason="首次分类", decided_by="县委组织部")


def village_honour(township, n=0):
    return vm.VillageHonour.objects.create(village=village(township, n), kind="provincial_revitalization", year=2023,
                                           awarded_by="省委农办")


def collective_income(township, n=0):
    return vm.CollectiveIncome.objects.create(village=village(township, n), year=2023, amount=Decimal("560000.00"),
                                              operating=Decimal("320000.00"))


def project(township, n=0):
    return vm.Project.objects.create(name=f"{township.name}产业园项目{n}", kind="agri_park", status="building", township=township,
                                     investment=Decimal("3000000.00"), jobs=12, income_added=Decimal("150000.00"), start_date=DAY)


def survey_round(township=None, n=0):
    """The first quarter of 2024 (``n``: of 2024 − n): county-level, shared by every township of the
    township's county (no township: the database's only county)."""
    year = 2024 - n
    of = {"county": township.county} if township is not None else {}
    return vm.SurveyRound.objects.get_or_create(
        year=year, quarter=1, **of,
        defaults={"theme": f"{year}年一季度大调研", "start_date": dt.date(year, 1, 1), "end_date": dt.date(year, 3, 31)},
    )[0]


def survey_assignment(township, n=0):
    return vm.SurveyAssignment.objects.create(round=survey_round(township), village=village(township, n), leader_name="张县长",
                                              leader_title="副县长")


def survey_visit(township, n=0):
    return vm.SurveyVisit.objects.create(
        round=survey_round(township), village=village(township, n), visited_on=DAY, visitors="县委组织部调研组",
        rating_organization=4, rating_industry=3, rating_talent=3, rating_governance=4, rating_environment=5, analysis="班子团结，产业待强",
    )


def survey_problem(township, n=0):
    visit = survey_visit(township, n)
    return vm.SurveyProblem.objects.create(visit=visit, village=visit.village, category="industry", description=f"缺少主导产业{n}",
                                           responsible_unit="镇农业办", deadline=dt.date(2024, 6, 30))


def target(township, n=0):
    """A village's target (township staff set those; the township's own are the county's)."""
    return vm.Target.objects.create(year=2024, indicator="reserve_cadres", township=township, village=village(township, n),
                                    value=Decimal(5 + n))


FACTORIES = {
    vm.City: city,
    vm.County: county,
    vm.Township: township_,
    vm.Village: village,
    vm.TierChange: tier_change,
    vm.VillageHonour: village_honour,
    vm.CollectiveIncome: collective_income,
    vm.Project: project,
    vm.SurveyRound: survey_round,
    vm.SurveyAssignment: survey_assignment,
    vm.SurveyVisit: survey_visit,
    vm.SurveyProblem: survey_problem,
    vm.Target: target,
}
