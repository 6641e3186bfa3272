"""The survey reports' model: one version of a quarterly report."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wenshang.kernel.scope import RestrictedQuerySet


class Report(models.Model):
    """A quarterly grand-survey report (季度大调研报告) of a city (its counties compared), a county, one
    township or one joint-committee zone, made by a Celery task (``wenshang.reports``) as a PDF and an XLSX.

    Each request makes a new ``version`` of the report of that subject and quarter; a finished
    version's files are never rewritten, so last quarter's report stays as it was read. The row is
    also the task's outbox: ``enqueued_at`` stays empty until the broker took the message, and the
    periodic sweep re-sends such rows. ``attempt`` counts the runs (a worker killed mid-report leads
    to a second run); files are written under a temporary name and renamed when complete.
    """

    class Scope(models.TextChoices):
        CITY = "city", _("Whole city (its counties compared)")
        COUNTY = "county", _("Whole county")
        TOWNSHIP = "township", _("One township")
        ZONE = "zone", _("Joint-committee zone")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Being prepared")
        DONE = "done", _("Done")
        FAILED = "failed", _("Could not be made")

    class Trigger(models.TextChoices):
        PORTAL = "portal", _("Requested on the portal")
        SCHEDULE = "schedule", _("Quarterly schedule")
        COMMAND = "command", _("Command line")
        CLOSE = "close", _("Quarter close (official version)")

    scope = models.CharField(_("report scope"), max_length=10, choices=Scope.choices)
    subject = models.CharField(_("subject key"), max_length=40, editable=False, help_text="city:<code> | county:<code> | township:<code> | zone:<id>")
    township = models.ForeignKey(
        "villages.Township", verbose_name=_("township"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    committee = models.ForeignKey(
        "alliances.JointCommittee", verbose_name=_("joint committee"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    county = models.ForeignKey(
        "villages.County", verbose_name=_("county"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    city = models.ForeignKey(
        "villages.City", verbose_name=_("city"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text=_("The city the report belongs to: its users read every report of its counties."),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    message = models.TextField(_("message"), blank=True, help_text=_("Why it failed, or what it contains."))
    trigger = models.CharField(_("made by"), max_length=10, choices=Trigger.choices, default=Trigger.PORTAL)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    attempt = models.PositiveSmallIntegerField(_("runs"), default=0)
    pdf = models.FileField(_("PDF file"), max_length=300, blank=True)
    xlsx = models.FileField(_("XLSX file"), max_length=300, blank=True)
    pdf_bytes = models.PositiveIntegerField(_("PDF size (bytes)"), default=0)
    xlsx_bytes = models.PositiveIntegerField(_("XLSX size (bytes)"), default=0)
    pages = models.PositiveIntegerField(_("pages"), default=0)
    revision = models.PositiveSmallIntegerField(
        _("official revision"), null=True, blank=True,
        help_text=_("The official report of a closed quarter: the revision of its frozen figures (1 at the close)."))
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    enqueued_at = models.DateTimeField(_("handed to the queue at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    lease_until = models.DateTimeField(_("held until"), null=True, blank=True,
                                       help_text=_("The run renews it while it works; past it, the report is taken over."))
    holder = models.CharField(_("held by"), max_length=100, blank=True, help_text=_("The worker process running it."))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    scope_path = "township"
    county_path = "county"
    city_path = "city"  # a city's report belongs to no county
    scope_editable = False

    class Meta:
        verbose_name = _("survey report")
        verbose_name_plural = _("survey reports")
        ordering = ["-year", "-quarter", "subject", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["subject", "year", "quarter", "version"], name="report_unique_version"),
        ]
        indexes = [models.Index(fields=["status", "enqueued_at"], name="report_outbox_idx")]

    def __str__(self):
        return f"{self.title} v{self.version}"

    @property
    def finished(self):
        return self.status in (self.Status.DONE, self.Status.FAILED)
