from . import views

app_name = "talent"

urlpatterns = [
    *views.PersonViews.urls(),
    *views.VillageSecretaryViews.urls(),
    *views.SecretaryAssessmentViews.urls(),
    *views.ReserveCadreViews.urls(),
    *views.RecruitingStationViews.urls(),
    *views.ReturneeViews.urls(),
    *views.WorkstationViews.urls(),
    *views.PartnerViews.urls(),
    *views.PartySchoolViews.urls(),
    *views.TrainingViews.urls(),
    *views.TrainingAttendanceViews.urls(),
    *views.HonourViews.urls(),
    *views.FirstSecretaryBatchViews.urls(),
    *views.FirstSecretaryAllianceViews.urls(),
    *views.SubAllianceViews.urls(),
    *views.FirstSecretaryViews.urls(),
    *views.FirstSecretaryAttendanceViews.urls(),
    *views.FirstSecretaryEvaluationViews.urls(),
]
