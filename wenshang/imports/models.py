"""The import feature's model: one spreadsheet import job."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wenshang.kernel.scope import RestrictedQuerySet


class ImportJob(models.Model):
    """One spreadsheet import: the file, who sent it, its state and progress, and every problem
    found (row, column, message). Small files are checked and written in the request; large ones
    by a Celery task that updates ``progress`` so the user may leave and come back."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        CHECKING = "checking", _("Checking")
        INVALID = "invalid", _("Problems found")
        READY = "ready", _("Ready to import")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="imports")
    township = models.ForeignKey(
        "villages.Township", verbose_name=_("township"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entity = models.CharField(_("entity"), max_length=50)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.UPLOADED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    created_rows = models.PositiveIntegerField(_("created"), default=0)
    updated_rows = models.PositiveIntegerField(_("updated"), default=0)
    problems = models.JSONField(_("problems"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    # Background work (wenshang.kernel.leases): the outbox and the lease of the run that checks or writes it.
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    enqueued_at = models.DateTimeField(_("handed to the queue at"), null=True, blank=True)
    attempt = models.PositiveSmallIntegerField(_("runs"), default=0)
    lease_until = models.DateTimeField(_("held until"), null=True, blank=True)
    holder = models.CharField(_("held by"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    sheet = models.CharField(_("sheet read"), max_length=255, blank=True)
    header_row = models.PositiveIntegerField(_("header row"), default=0)
    # Set when the file and the problem list were deleted after settings.IMPORT_RETENTION_DAYS
    # (wenshang.imports.purge_old_jobs); the row stays as the record of the import.
    purged_at = models.DateTimeField(_("file deleted at"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    scope_path = "township"
    county_path = "user__county"  # the imports of a county's users
    city_path = "user__city"
    scope_editable = False

    class Meta:
        verbose_name = _("spreadsheet import")
        verbose_name_plural = _("spreadsheet imports")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.original_name} ({self.get_status_display()})"
