"""URL patterns of one part of the kernel, included from ``wenshang.urls``: the county
administrators' user and API token pages (login, logout and password change are in ``wenshang.urls``)."""
from django.urls import path

from .accounts import UserEditView, UserListView
from .api.pages import ApiTokenCreatedView, ApiTokenListView, ApiTokenRevokeView

urlpatterns = [
    path("users/", UserListView.as_view(), name="user_list"),
    path("users/add/", UserEditView.as_view(), name="user_add"),
    path("users/<int:pk>/edit/", UserEditView.as_view(), name="user_edit"),
    path("api-tokens/", ApiTokenListView.as_view(), name="api_token_list"),
    path("api-tokens/<int:pk>/created/", ApiTokenCreatedView.as_view(), name="api_token_created"),
    path("api-tokens/<int:pk>/revoke/", ApiTokenRevokeView.as_view(), name="api_token_revoke"),
]
