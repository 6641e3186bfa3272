"""The factories of the alliances app's entities (collected by ``tests.factories``: use
``make(Model, township, n)`` from there): the builders of the view tests (``test_views``' helper
functions and the ``make()`` of its ``ModelViewTests`` subclasses). Add the factory of a new
alliances entity to ``FACTORIES``."""
from alliances import models as am
from tests.alliances import test_views as alliance_tests
from tests.factory_helpers import made_by

FACTORIES = {
    am.Alliance: alliance_tests.alliance_in,
    am.MemberUnit: alliance_tests.unit_in,
    am.AllianceMembership: made_by(alliance_tests.TestAllianceMembershipViews),
    am.AllianceActivity: made_by(alliance_tests.TestAllianceActivityViews),
    am.ResponsibilityItem: made_by(alliance_tests.TestResponsibilityItemViews),
    am.FundEntry: made_by(alliance_tests.TestFundEntryViews),
    am.AllianceEvaluation: made_by(alliance_tests.TestAllianceEvaluationViews),
    am.JointCommittee: alliance_tests.committee_in,
    am.JointCommitteeVillage: made_by(alliance_tests.TestJointCommitteeVillageViews),
    am.Advisor: made_by(alliance_tests.TestAdvisorViews),
    am.Enterprise: alliance_tests.enterprise_in,
    am.Pairing: alliance_tests.pairing_in,
    am.PairingOutcome: made_by(alliance_tests.TestPairingOutcomeViews),
    am.TaskForceUnit: made_by(alliance_tests.TestTaskForceUnitViews),
}
