"""One factory for every registered entity (``wenshang.web.portal.REGISTRY``): a valid, saved record
that belongs to a given township, with valid ID numbers and credit codes and the related records
it needs made on the way.

    from tests.factories import make

    loan = make(Loan, township_a)              # record number 0 of township A
    make(Loan, township_a, 3)                  # another one (``n`` keeps records apart)
    make(Village, township_a, name="新村名")    # overrides: set, checked (full_clean) and saved

Dates come from a fixed clock (``DAY`` = 2024-03-01), never today.

Most builders are the ones the view tests already had (``tests/*/test_views.py``: their helper
functions and the ``make()`` of their ``ModelViewTests`` subclasses): this module only names them
per model, so there is one place to find "a valid X". The villages app's builders live here.

Records without a township (county-level catalogues, ``scope_path = None``: recruiting stations,
survey rounds …) are made all the same; the township is only used for what they hang on, if
anything. ``make(County, t)`` is the township's county and ``make(Township, t)`` the township
itself (``n > 0``: another county or township, which belongs to no township of the test's).
"""
import datetime as dt
from decimal import Decimal

from django.utils import timezone

from alliances import models as am
from finance import models as fm
from grids import models as gm
from talent import models as tm
from tests.alliances import test_views as alliance_tests
from tests.finance import test_views as finance_tests
from tests.grids import test_views as grid_tests
from tests.talent import test_views as talent_tests
from tests.talent.helpers import id_number, person, village
from villages import models as vm
from wenshang.kernel.validators import credit_check_char, id_check_char

DAY = dt.date(2024, 3, 1)  # the fixed clock of the tests
MOMENT = timezone.make_aware(dt.datetime(2024, 3, 1, 9, 0))

__all__ = ["DAY", "FACTORIES", "MOMENT", "credit_code", "id_number", "make", "valid_id"]


def valid_id(first17):
    """``first17`` (17 digits) completed with its check character: a valid national ID number."""
    return first17 + id_check_char(first17)


def credit_code(first17):
    """``first17`` completed with its check character: a valid unified social credit code."""
    return first17 + credit_check_char(first17)


# -- villages ---------------------------------------------------------------------------------------
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
    """The first quarter of 2024 (``n``: of 2024 − n): county-level, shared by every township."""
    year = 2024 - n
    return vm.SurveyRound.objects.get_or_create(
        year=year, quarter=1,
        defaults={"theme": f"{year}年一季度大调研", "start_date": dt.date(year, 1, 1), "end_date": dt.date(year, 3, 31)},
    )[0]


def survey_assignment(township, n=0):
    return vm.SurveyAssignment.objects.create(round=survey_round(), village=village(township, n), leader_name="张县长",
                                              leader_title="副县长")


def survey_visit(township, n=0):
    return vm.SurveyVisit.objects.create(
        round=survey_round(), village=village(township, n), visited_on=DAY, visitors="县委组织部调研组",
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


def grid_event(township, n=0):
    """A grid event reported at the fixed clock (``tests.grids``' own reports two days before now)."""
    return gm.GridEvent.objects.create(grid=grid_tests.grid_in(township), title=f"路灯损坏{n}", category="facilities",
                                       reported_at=MOMENT, reported_by="网格员甲")


def _made_by(test_class):
    """The ``make()`` of an existing ``ModelViewTests`` subclass, as a builder."""
    return lambda township, n=0: test_class().make(township, n)


FACTORIES = {
    # villages
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
    # alliances
    am.Alliance: alliance_tests.alliance_in,
    am.MemberUnit: alliance_tests.unit_in,
    am.AllianceMembership: _made_by(alliance_tests.TestAllianceMembershipViews),
    am.AllianceActivity: _made_by(alliance_tests.TestAllianceActivityViews),
    am.ResponsibilityItem: _made_by(alliance_tests.TestResponsibilityItemViews),
    am.FundEntry: _made_by(alliance_tests.TestFundEntryViews),
    am.AllianceEvaluation: _made_by(alliance_tests.TestAllianceEvaluationViews),
    am.JointCommittee: alliance_tests.committee_in,
    am.JointCommitteeVillage: _made_by(alliance_tests.TestJointCommitteeVillageViews),
    am.Advisor: _made_by(alliance_tests.TestAdvisorViews),
    am.Enterprise: alliance_tests.enterprise_in,
    am.Pairing: alliance_tests.pairing_in,
    am.PairingOutcome: _made_by(alliance_tests.TestPairingOutcomeViews),
    am.TaskForceUnit: _made_by(alliance_tests.TestTaskForceUnitViews),
    # grids
    gm.Grid: grid_tests.grid_in,
    gm.GridWorker: _made_by(grid_tests.TestGridWorkerViews),
    gm.Household: grid_tests.household_in,
    gm.CreditRecord: _made_by(grid_tests.TestCreditRecordViews),
    gm.GridEvent: grid_event,
    gm.LectureHall: _made_by(grid_tests.TestLectureHallViews),
    gm.LectureSession: _made_by(grid_tests.TestLectureSessionViews),
    # finance
    fm.FinanceViceMayor: _made_by(finance_tests.TestFinanceViceMayorViews),
    fm.Loan: finance_tests.loan,
    fm.AgriLoanReport: _made_by(finance_tests.TestAgriLoanReportViews),
    fm.Homestead: finance_tests.homestead,
    fm.LandTransaction: _made_by(finance_tests.TestLandTransactionViews),
    # talent
    tm.Person: lambda township, n=0: person(township, name=f"张{n}"),
    tm.VillageSecretary: talent_tests.secretary,
    tm.SecretaryAssessment: _made_by(talent_tests.TestSecretaryAssessmentViews),
    tm.ReserveCadre: _made_by(talent_tests.TestReserveCadreViews),
    tm.RecruitingStation: _made_by(talent_tests.TestRecruitingStationViews),
    tm.Returnee: _made_by(talent_tests.TestReturneeViews),
    tm.Workstation: talent_tests.workstation,
    tm.Partner: _made_by(talent_tests.TestPartnerViews),
    tm.PartySchool: _made_by(talent_tests.TestPartySchoolViews),
    tm.Training: talent_tests.training,
    tm.TrainingAttendance: _made_by(talent_tests.TestTrainingAttendanceViews),
    tm.Honour: _made_by(talent_tests.TestHonourViews),
    tm.FirstSecretaryBatch: lambda township, n=0: talent_tests.batch(2010 + n),
    tm.FirstSecretaryAlliance: _made_by(talent_tests.TestFirstSecretaryAllianceViews),
    tm.SubAlliance: _made_by(talent_tests.TestSubAllianceViews),
    tm.FirstSecretary: talent_tests.first_secretary,
    tm.FirstSecretaryAttendance: _made_by(talent_tests.TestFirstSecretaryAttendanceViews),
    tm.FirstSecretaryEvaluation: _made_by(talent_tests.TestFirstSecretaryEvaluationViews),
}


def make(model, township, n=0, **overrides):
    """Record number ``n`` of ``model`` in ``township`` (saved); ``overrides`` are set on it, checked
    with ``full_clean()`` and saved."""
    try:
        builder = FACTORIES[model]
    except KeyError:
        raise LookupError(f"no factory for {model._meta.label}: add one to tests/factories.py") from None
    obj = builder(township, n)
    if overrides:
        for name, value in overrides.items():
            setattr(obj, name, value)
        obj.full_clean()
        obj.save()
    return obj
