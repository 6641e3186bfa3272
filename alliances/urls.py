from . import views

app_name = "alliances"

urlpatterns = [
    *views.MemberUnitViews.urls(),
    *views.AllianceViews.urls(),
    *views.AllianceMembershipViews.urls(),
    *views.AllianceActivityViews.urls(),
    *views.ResponsibilityItemViews.urls(),
    *views.FundEntryViews.urls(),
    *views.AllianceEvaluationViews.urls(),
    *views.JointCommitteeViews.urls(),
    *views.JointCommitteeVillageViews.urls(),
    *views.AdvisorViews.urls(),
    *views.EnterpriseViews.urls(),
    *views.PairingViews.urls(),
    *views.PairingOutcomeViews.urls(),
    *views.TaskForceUnitViews.urls(),
]
