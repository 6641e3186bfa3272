"""The admin of the ``wenshang`` app's feature models (import jobs, API tokens, survey reports), all
written by the portal itself and read here. The base classes and the kernel's models' admins are in
``wenshang.web.admin``; Django finds this module and that one through it."""
import datetime as dt

from django.contrib import admin
from django.db import models
from django.db.models import Q
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wenshang.api.models import ApiToken, IdempotentRequest, Webhook, WebhookDelivery
from wenshang.closing.models import Close, Correction, FrozenValue, Snapshot, Submission, SubmissionEvent
from wenshang.imports.models import ImportJob
from wenshang.reports.models import Report
from wenshang.web.admin import ReadOnlyAdmin


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "entity", "original_name", "status", "progress", "total_rows", "attempt", "holder")
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
    list_display = ("title", "year", "quarter", "version", "status", "progress", "attempt", "holder", "trigger", "requested_by",
                    "finished_at")
    list_filter = ("status", "scope", "year", "quarter", "trigger")
    list_select_related = ("requested_by",)
    search_fields = ("title", "subject")

    def get_urls(self):
        """And the page of all background work (``background_work``): /admin/wenshang/report/work/."""
        return [path("work/", self.admin_site.admin_view(background_work), name="background_work"), *super().get_urls()]


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


# -- background work: what the workers hold, wait for, retried or gave up (wenshang.kernel.leases) ------
RECENT_DAYS = 7  # failed and retried work of the last week; running and waiting work whatever its age


def background_work(request):
    """The administrators' page of background work: reports and imports running, waiting (for the
    queue or a worker), retried or failed, with their attempts, the worker process that holds them and
    until when; webhook deliveries waiting to be retried or failed."""
    now = timezone.now()
    since = now - dt.timedelta(days=RECENT_DAYS)
    rows = []
    reports = Report.objects.filter(Q(status__in=["queued", "running"]) | Q(created_at__gte=since) & (
        Q(status="failed") | Q(attempt__gt=1))).select_related("requested_by").order_by("-created_at")[:200]
    for r in reports:
        rows.append({"kind": _("Survey report"), "what": str(r), "status": r.get_status_display(), "state": r.status,
                     "attempts": r.attempt, "holder": r.holder, "lease_until": r.lease_until, "created_at": r.created_at,
                     "sent": r.enqueued_at, "by": r.requested_by, "message": r.message if r.status == "failed" else "",
                     "progress": r.progress, "url": reverse("admin:wenshang_report_change", args=[r.pk])})
    jobs = ImportJob.objects.filter(Q(status__in=["uploaded", "checking", "running"]) | Q(created_at__gte=since) & (
        Q(status="failed") | Q(attempt__gt=1))).select_related("user").order_by("-created_at")[:200]
    for j in jobs:
        rows.append({"kind": _("Spreadsheet import"), "what": j.original_name, "status": j.get_status_display(), "state": j.status,
                     "attempts": j.attempt, "holder": j.holder, "lease_until": j.lease_until, "created_at": j.created_at,
                     "sent": j.enqueued_at, "by": j.user, "message": j.message if j.status == "failed" or j.attempt > 1 else "",
                     "progress": j.progress, "url": reverse("admin:wenshang_importjob_change", args=[j.pk])})
    deliveries = WebhookDelivery.objects.filter(Q(state="pending", attempts__gt=0) | Q(state="failed", created_at__gte=since)
                                                ).select_related("webhook").order_by("-created_at")[:200]
    for d in deliveries:
        rows.append({"kind": _("Webhook delivery"), "what": f"{d.webhook} · {d.event}", "status": d.get_state_display(),
                     "state": d.state, "attempts": d.attempts, "holder": "", "lease_until": d.next_attempt_at,
                     "created_at": d.created_at, "sent": None, "by": None, "message": d.last_error, "progress": None,
                     "url": reverse("admin:wenshang_webhookdelivery_change", args=[d.pk])})
    rows.sort(key=lambda row: row["created_at"], reverse=True)
    expired = [row for row in rows if row["state"] in ("running", "checking") and (row["lease_until"] is None or row["lease_until"] < now)]
    context = {**admin.site.each_context(request), "title": _("Background work"), "rows": rows, "now": now,
               "expired": len(expired), "recent_days": RECENT_DAYS}
    return TemplateResponse(request, "admin/background_work.html", context)


