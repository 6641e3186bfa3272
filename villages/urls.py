from django.urls import path

from . import profile, views

app_name = "villages"

urlpatterns = [
    *views.CityViews.urls(),
    *views.CountyViews.urls(),
    *views.TownshipViews.urls(),
    *views.VillageViews.urls(),
    path("villages/<int:pk>/profile/", profile.village_profile, name="village_profile"),
    *views.TierChangeViews.urls(),
    *views.VillageHonourViews.urls(),
    *views.CollectiveIncomeViews.urls(),
    *views.ProjectViews.urls(),
    *views.SurveyRoundViews.urls(),
    *views.SurveyAssignmentViews.urls(),
    *views.SurveyVisitViews.urls(),
    *views.SurveyProblemViews.urls(),
    *views.TargetViews.urls(),
]
