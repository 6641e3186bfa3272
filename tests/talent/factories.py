"""The factories of the talent app's entities (collected by ``tests.factories``: use
``make(Model, township, n)`` from there): the builders of the view tests (``test_views``' and
``helpers``' functions and the ``make()`` of the ``ModelViewTests`` subclasses). Add the factory
of a new talent entity to ``FACTORIES``."""
from talent import models as tm
from tests.factory_helpers import made_by
from tests.talent import test_views as talent_tests
from tests.talent.helpers import person

FACTORIES = {
    tm.Person: lambda township, n=0: person(township, name=f"张{n}"),
    tm.VillageSecretary: talent_tests.secretary,
    tm.SecretaryAssessment: made_by(talent_tests.TestSecretaryAssessmentViews),
    tm.ReserveCadre: made_by(talent_tests.TestReserveCadreViews),
    tm.RecruitingStation: made_by(talent_tests.TestRecruitingStationViews),
    tm.Returnee: made_by(talent_tests.TestReturneeViews),
    tm.Workstation: talent_tests.workstation,
    tm.Partner: made_by(talent_tests.TestPartnerViews),
    tm.PartySchool: made_by(talent_tests.TestPartySchoolViews),
    tm.Training: talent_tests.training,
    tm.TrainingAttendance: made_by(talent_tests.TestTrainingAttendanceViews),
    tm.Honour: made_by(talent_tests.TestHonourViews),
    tm.FirstSecretaryBatch: lambda township, n=0: talent_tests.batch(2010 + n, township.county),
    tm.FirstSecretaryAlliance: made_by(talent_tests.TestFirstSecretaryAllianceViews),
    tm.SubAlliance: made_by(talent_tests.TestSubAllianceViews),
    tm.FirstSecretary: talent_tests.first_secretary,
    tm.FirstSecretaryAttendance: made_by(talent_tests.TestFirstSecretaryAttendanceViews),
    tm.FirstSecretaryEvaluation: made_by(talent_tests.TestFirstSecretaryEvaluationViews),
}
