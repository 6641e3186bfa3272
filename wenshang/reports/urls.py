"""The grand survey's coverage board and reports (``wenshang.reports.views``)."""
from django.urls import path

from wenshang.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.ReportListView.as_view(), name="list"),
    path("coverage/", views.CoverageView.as_view(), name="coverage"),
    path("<int:pk>/", views.ReportDetailView.as_view(), name="detail"),
    path("<int:pk>/progress/", views.ReportProgressView.as_view(), name="progress"),
    path("<int:pk>/download/<str:kind>/", views.ReportDownloadView.as_view(), name="download"),
]
