"""The shared kernel: the portal's user (role and scope), the base model and the change log."""
from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import ChangeAction, Domain, Role
from .scope import RestrictedQuerySet


class BaseModel(models.Model):
    """Every record of the three chains: timestamps, the scoped queryset and the change log.

    Subclasses declare ``scope_path``, the lookup from the model to its township (see
    ``wenshang.scope``). Creates, updates and deletes are recorded by ``wenshang.audit``.
    """

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = RestrictedQuerySet.as_manager()

    scope_path = None
    scope_null_visible = False

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values):
        obj = super().from_db(db, field_names, values)
        # The values as loaded: the "before" of the change log, without another query.
        obj._loaded_values = dict(zip(field_names, values))
        return obj

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        loaded = getattr(self, "_loaded_values", None)
        if loaded is None:
            loaded = self._loaded_values = {}
        names = fields or [f.attname for f in self._meta.concrete_fields]
        for field in self._meta.concrete_fields:
            if field.attname in names or field.name in names:
                loaded[field.attname] = field.value_from_object(self)


class PortalUserManager(UserManager.from_queryset(RestrictedQuerySet)):
    pass


class User(AbstractUser):
    """A portal user: a role and a scope (the whole county when ``township`` is empty)."""

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.OFFICIAL)
    township = models.ForeignKey(
        "villages.Township",
        verbose_name=_("township"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        help_text=_("Empty means the whole county."),
    )
    domain = models.CharField(
        _("domain"),
        max_length=16,
        choices=Domain.choices,
        blank=True,
        help_text=_("For department editors: the records they maintain county-wide."),
    )

    sees_personal_data = models.BooleanField(
        _("may see personal data"),
        default=False,
        help_text=_("National ID and phone numbers are shown in full (each view is recorded); otherwise masked."),
    )
    is_api_client = models.BooleanField(
        _("API client"),
        default=False,
        editable=False,
        help_text=_("The account of an API token (another system), not a person: it cannot log in to the portal."),
    )

    objects = PortalUserManager()

    scope_path = "township"
    scope_null_visible = False
    admin_only = True

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def clean(self):
        super().clean()
        if self.role == Role.TOWNSHIP and not self.township_id:
            raise ValidationError({"township": _("Township staff must belong to a township.")})
        if self.role == Role.EDITOR and not self.domain:
            raise ValidationError({"domain": _("A department editor needs a domain.")})
        if self.role != Role.EDITOR and self.domain:
            raise ValidationError({"domain": _("Only department editors have a domain.")})

    @property
    def may_see_personal_data(self):
        """County administrators and users granted the right see ID and phone numbers unmasked."""
        if self.is_api_client:  # a system sees personal data only when its token was given the right
            return self.is_active and self.sees_personal_data
        return self.is_active and (self.is_superuser or self.role == Role.ADMIN or self.sees_personal_data)

    @property
    def scope_label(self):
        return str(self.township) if self.township_id else str(_("Whole county"))


class ObjectChange(models.Model):
    """One create, update or delete of a record: who, when, from where, values before and after."""

    time = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="changes",
    )
    user_name = models.CharField(_("user name"), max_length=150, blank=True)
    source = models.CharField(_("source"), max_length=100, blank=True, help_text=_("web, api, command:…, task:…"))
    action = models.CharField(_("action"), max_length=10, choices=ChangeAction.choices)
    content_type = models.ForeignKey(
        "contenttypes.ContentType", verbose_name=_("record type"), on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.CharField(_("record id"), max_length=64)
    object_repr = models.CharField(_("record"), max_length=200)
    township = models.ForeignKey(
        "villages.Township",
        verbose_name=_("township"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    prechange_data = models.JSONField(_("before"), null=True, blank=True)
    postchange_data = models.JSONField(_("after"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    scope_path = "township"
    scope_editable = False

    class Meta:
        verbose_name = _("change log entry")
        verbose_name_plural = _("change log")
        ordering = ["-time", "-pk"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="objectchange_object_idx")]

    def __str__(self):
        return f"{self.get_action_display()} {self.object_repr}"

    @property
    def diff(self):
        """{field: (before, after)} for the fields that changed."""
        before, after = self.prechange_data or {}, self.postchange_data or {}
        keys = sorted(set(before) | set(after))
        return {k: (before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)}


class PersonalDataAccess(models.Model):
    """A record that someone saw personal data unmasked (a detail page, a list page, an export, the API)."""

    time = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+")
    content_type = models.ForeignKey(
        "contenttypes.ContentType", verbose_name=_("record type"), on_delete=models.PROTECT, related_name="+"
    )
    object_ids = models.JSONField(_("records"), default=list)
    fields = models.JSONField(_("fields"), default=list)
    context = models.CharField(_("where"), max_length=100)

    objects = RestrictedQuerySet.as_manager()

    scope_path = None
    scope_editable = False
    admin_only = True
    admin_view_only = True  # who looked at whose data: county administrators and superusers only

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data access log")
        ordering = ["-time", "-pk"]

    def __str__(self):
        return f"{self.user} {self.context} {self.time:%Y-%m-%d %H:%M}"


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
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    sheet = models.CharField(_("sheet read"), max_length=255, blank=True)
    header_row = models.PositiveIntegerField(_("header row"), default=0)
    # Set when the file and the problem list were deleted after settings.IMPORT_RETENTION_DAYS
    # (wenshang.imports.purge_old_jobs); the row stays as the record of the import.
    purged_at = models.DateTimeField(_("file deleted at"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    scope_path = "township"
    scope_editable = False

    class Meta:
        verbose_name = _("spreadsheet import")
        verbose_name_plural = _("spreadsheet imports")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.original_name} ({self.get_status_display()})"


class SearchEntry(models.Model):
    """The global search index: one row per village, person, enterprise, alliance and project,
    with its name, code and pinyin (full and initials, so that ``dsl`` finds 东石楼村). Kept
    current by signals on those models and rebuilt in bulk by ``wenshang.search.rebuild``."""

    kind = models.CharField(_("kind"), max_length=16)
    content_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    township = models.ForeignKey(
        "villages.Township", null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    name = models.CharField(_("name"), max_length=200, db_index=True)
    code = models.CharField(_("code"), max_length=40, blank=True, db_index=True)
    initials = models.CharField(_("pinyin initials"), max_length=200, db_index=True)
    pinyin = models.CharField(_("pinyin"), max_length=600, blank=True)
    detail = models.CharField(_("detail"), max_length=200, blank=True)

    objects = RestrictedQuerySet.as_manager()

    scope_path = "township"
    scope_null_visible = True
    scope_editable = False

    class Meta:
        verbose_name = _("search entry")
        verbose_name_plural = _("search index")
        ordering = ["kind", "name"]
        constraints = [models.UniqueConstraint(fields=["content_type", "object_id"], name="searchentry_unique")]

    def __str__(self):
        return self.name


class ApiToken(models.Model):
    """A token for another system (the province's platform, the grid workers' app, a bank).

    Only a SHA-256 hash of the token is stored; the token itself is shown once, when it is made.
    Each token acts through its own account (``user``, ``User.is_api_client``) whose role and
    township carry the token's scope and rights, so the API goes through the same
    ``Model.objects.restrict(user, action)`` as the pages, and the change log names the client.
    """

    PREFIX = "ws_"

    name = models.CharField(_("client"), max_length=100, help_text=_("The system that uses the token, e.g. 省乡村振兴平台."))
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("account"), on_delete=models.PROTECT, related_name="api_token"
    )
    township = models.ForeignKey(
        "villages.Township",
        verbose_name=_("township"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty means the whole county."),
    )
    read_only = models.BooleanField(_("read only"), default=True)
    sees_personal_data = models.BooleanField(_("may see personal data"), default=False)
    prefix = models.CharField(_("token begins with"), max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True, help_text=_("Empty means it never expires."))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("revoked by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()

    scope_path = None
    admin_only = True
    admin_view_only = True

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def scope_label(self):
        return str(self.township) if self.township_id else str(_("Whole county"))

    @property
    def state(self):
        if self.revoked_at:
            return "revoked"
        if self.expires_at and self.expires_at <= timezone.now():
            return "expired"
        return "active"

    def get_state_display(self):
        return {"revoked": _("Revoked"), "expired": _("Expired"), "active": _("Valid")}[self.state]


class Report(models.Model):
    """A quarterly grand-survey report (季度大调研报告) of the county, one township or one joint-committee
    zone, made by a Celery task (``wenshang.reports``) as a PDF and an XLSX.

    Each request makes a new ``version`` of the report of that subject and quarter; a finished
    version's files are never rewritten, so last quarter's report stays as it was read. The row is
    also the task's outbox: ``enqueued_at`` stays empty until the broker took the message, and the
    periodic sweep re-sends such rows. ``attempt`` counts the runs (a worker killed mid-report leads
    to a second run); files are written under a temporary name and renamed when complete.
    """

    class Scope(models.TextChoices):
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

    scope = models.CharField(_("report scope"), max_length=10, choices=Scope.choices)
    subject = models.CharField(_("subject key"), max_length=40, editable=False, help_text="county | township:<code> | zone:<id>")
    township = models.ForeignKey(
        "villages.Township", verbose_name=_("township"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    committee = models.ForeignKey(
        "alliances.JointCommittee", verbose_name=_("joint committee"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
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
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    enqueued_at = models.DateTimeField(_("handed to the queue at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    scope_path = "township"
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
