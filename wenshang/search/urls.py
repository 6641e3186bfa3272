"""URL patterns of one part of the kernel, included from ``wenshang.urls``: the global search and
the export of every list page (``/export/<plural>.xlsx`` and ``.csv`` with the list's query string)."""
from django.urls import path

from wenshang.exports import views as exports
from wenshang.search import views as search_views

urlpatterns = [
    path("search/", search_views.search_view, name="search"),
    path("export/<slug:plural>.xlsx", exports.export_view, {"fmt": "xlsx"}, name="export_xlsx"),
    path("export/<slug:plural>.csv", exports.export_view, {"fmt": "csv"}, name="export_csv"),
]
