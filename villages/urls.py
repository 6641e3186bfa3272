from . import views

app_name = "villages"

urlpatterns = [
    *views.CountyViews.urls(),
    *views.TownshipViews.urls(),
    *views.VillageViews.urls(),
    *views.TierChangeViews.urls(),
    *views.VillageHonourViews.urls(),
    *views.CollectiveIncomeViews.urls(),
    *views.ProjectViews.urls(),
    *views.SurveyRoundViews.urls(),
    *views.SurveyAssignmentViews.urls(),
    *views.SurveyVisitViews.urls(),
    *views.SurveyProblemViews.urls(),
]
