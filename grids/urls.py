from django.urls import path

from . import views

app_name = "grids"

urlpatterns = [
    *views.GridViews.urls(),
    *views.GridWorkerViews.urls(),
    *views.HouseholdViews.urls(),
    *views.CreditRecordViews.urls(),
    path("ranking/<int:village_id>/", views.VillageRankingView.as_view(), name="village_ranking"),
    *views.GridEventViews.urls(),
    *views.LectureHallViews.urls(),
    *views.LectureSessionViews.urls(),
]
