"""The admin of the ``wenshang`` app's feature models (import jobs, API tokens, survey reports), all
written by the portal itself and read here. The base classes and the kernel's models' admins are in
``wenshang.web.admin``; Django finds this module and that one through it."""
from django.contrib import admin
from django.db import models

from wenshang.api.models import ApiToken, IdempotentRequest, Webhook, WebhookDelivery
from wenshang.closing.models import Close, Correction, FrozenValue, Snapshot, Submission, SubmissionEvent
from wenshang.imports.models import ImportJob
from wenshang.reports.models import Report
from wenshang.web.admin import ReadOnlyAdmin


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "entity", "original_name", "status", "progress", "total_rows")
    list_filter = ("status", "entity")
    list_select_related = ("user",)
    search_fields = ("original_name", "user__username")


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Tokens are made and revoked on the portal's token page (the token is shown once there)."""

    list_display = ("name", "prefix", "township", "read_only", "sees_personal_data", "expires_at", "revoked_at", "last_used_at")
    list_filter = ("read_only", "township")
    list_select_related = ("township",)
    search_fields = ("name", "prefix")
    exclude = ("key_hash",)


@admin.register(IdempotentRequest)
class IdempotentRequestAdmin(ReadOnlyAdmin):
    """The answers kept for retried API requests (a day; deleted by the beat task)."""

    list_display = ("created_at", "user", "key", "status")
    list_select_related = ("user",)
    search_fields = ("key",)
    exclude = ("body",)  # an answer may hold a record's values


@admin.register(Webhook)
class WebhookAdmin(ReadOnlyAdmin):
    """Subscribers are registered, paused and deleted on the portal's webhook page (the secret is shown once there)."""

    list_display = ("name", "url", "county", "township", "active", "created_at")
    list_filter = ("active",)
    list_select_related = ("county", "township")
    search_fields = ("name", "url")
    exclude = ("secret",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}  # as the portal's form


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "webhook", "event", "state", "attempts", "last_status", "next_attempt_at")
    list_filter = ("state",)
    list_select_related = ("webhook",)
    search_fields = ("event", "uuid")


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ("title", "year", "quarter", "version", "status", "progress", "attempt", "trigger", "requested_by", "finished_at")
    list_filter = ("status", "scope", "year", "quarter", "trigger")
    list_select_related = ("requested_by",)
    search_fields = ("title", "subject")


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    """The quarter cycle is worked on the portal's pages (报送审核); read here."""

    list_display = ("township", "year", "quarter", "state", "submitted_at", "reviewed_at")
    list_filter = ("state", "year", "quarter")
    list_select_related = ("township",)


@admin.register(SubmissionEvent)
class SubmissionEventAdmin(ReadOnlyAdmin):
    list_display = ("time", "submission", "action", "user_name")
    list_select_related = ("submission__township",)


@admin.register(Close)
class CloseAdmin(ReadOnlyAdmin):
    list_display = ("county", "year", "quarter", "closed_at")
    list_select_related = ("county",)


@admin.register(Snapshot)
class SnapshotAdmin(ReadOnlyAdmin):
    list_display = ("close", "revision", "made_at", "reason")
    list_select_related = ("close__county",)


@admin.register(FrozenValue)
class FrozenValueAdmin(ReadOnlyAdmin):
    list_display = ("snapshot", "key", "value")
    list_select_related = ("snapshot__close__county",)


@admin.register(Correction)
class CorrectionAdmin(ReadOnlyAdmin):
    exclude = ("data",)  # the values asked for, personal numbers in full: applied on approval, never shown
    list_display = ("pk", "township", "year", "quarter", "action", "object_repr", "state", "requested_at")
    list_filter = ("state",)
    list_select_related = ("township",)
