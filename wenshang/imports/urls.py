"""Spreadsheet imports: template, upload, preview and commit, progress, history (``wenshang.imports``)."""
import re

from django.urls import path, register_converter

from wenshang.imports import SPECS, views

app_name = "imports"


class EntityConverter:
    """Only the importable entities match, so ``{% url 'imports:upload' plural as url %}`` is
    empty for the others (the list pages show the import button only where it leads somewhere)."""

    regex = "|".join(re.escape(plural) for plural in sorted(SPECS, key=len, reverse=True))

    def to_python(self, value):
        return value

    def to_url(self, value):
        if value not in SPECS:
            raise ValueError(value)
        return value


register_converter(EntityConverter, "import_entity")

urlpatterns = [
    path("jobs/", views.JobListView.as_view(), name="jobs"),
    path("jobs/<int:pk>/", views.JobDetailView.as_view(), name="job"),
    path("jobs/<int:pk>/commit/", views.JobCommitView.as_view(), name="commit"),
    path("jobs/<int:pk>/progress/", views.JobProgressView.as_view(), name="progress"),
    path("<import_entity:entity>/template.xlsx", views.TemplateView.as_view(), name="template"),
    path("<import_entity:entity>/", views.UploadView.as_view(), name="upload"),
]
