"""URL patterns of one part of the kernel, included from ``wenshang.urls``: the county
administrators' user pages (login, logout and password change are in ``wenshang.urls``)."""
from django.urls import path

from .accounts import UserEditView, UserListView

urlpatterns = [
    path("users/", UserListView.as_view(), name="user_list"),
    path("users/add/", UserEditView.as_view(), name="user_add"),
    path("users/<int:pk>/edit/", UserEditView.as_view(), name="user_edit"),
]
