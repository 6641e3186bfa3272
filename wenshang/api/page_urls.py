"""URL patterns of the county administrators' API token pages, under /accounts/ beside the user
pages (included from ``wenshang.urls``)."""
from django.urls import path

from wenshang.api.pages import ApiTokenCreatedView, ApiTokenListView, ApiTokenRevokeView, WebhookDetailView, WebhookListView

urlpatterns = [
    path("api-tokens/", ApiTokenListView.as_view(), name="api_token_list"),
    path("api-tokens/<int:pk>/created/", ApiTokenCreatedView.as_view(), name="api_token_created"),
    path("api-tokens/<int:pk>/revoke/", ApiTokenRevokeView.as_view(), name="api_token_revoke"),
    path("webhooks/", WebhookListView.as_view(), name="webhook_list"),
    path("webhooks/<int:pk>/", WebhookDetailView.as_view(), name="webhook_detail"),
]
