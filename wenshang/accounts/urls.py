"""URL patterns of the accounts feature, included from ``wenshang.urls``: the county administrators'
user pages (login, logout and password change are in ``wenshang.urls``; the API token pages, also
under /accounts/, in ``wenshang.api.page_urls``)."""
from django.urls import path

from wenshang.accounts.views import UserEditView, UserListView

urlpatterns = [
    path("users/", UserListView.as_view(), name="user_list"),
    path("users/add/", UserEditView.as_view(), name="user_add"),
    path("users/<int:pk>/edit/", UserEditView.as_view(), name="user_edit"),
]
