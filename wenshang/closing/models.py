"""The quarter close's records: each township's submission of a quarter and its steps, the county's
close with its frozen figures (a snapshot per revision), and the correction requests."""
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wenshang.kernel.periods import quarter_dates
from wenshang.kernel.scope import RestrictedQuerySet


def period_of(year, quarter):
    """A quarter as one integer (20242 for 2024 Q2): ordered, and cheap to look up."""
    return year * 10 + quarter


def split_period(period):
    return divmod(period, 10)


class PeriodMixin(models.Model):
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    period = models.PositiveIntegerField(_("period"), editable=False, db_index=True)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.period = period_of(self.year, self.quarter)
        super().save(*args, **kwargs)

    @property
    def period_label(self):
        return _("%(year)s Q%(quarter)s") % {"year": self.year, "quarter": self.quarter}

    @property
    def end_date(self):
        return quarter_dates(self.year, self.quarter)[1]


class Submission(PeriodMixin):
    """A township's quarter (报送): its state in the cycle, the clerk's note and the reasons given for
    checklist items left open, the county's last comment."""

    class State(models.TextChoices):
        OPEN = "open", _("Not submitted")
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned")
        APPROVED = "approved", _("Approved")

    township = models.ForeignKey("villages.Township", verbose_name=_("township"), on_delete=models.CASCADE, related_name="+")
    county = models.ForeignKey("villages.County", verbose_name=_("county"), on_delete=models.CASCADE, related_name="+")
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    note = models.TextField(_("note"), blank=True)
    reasons = models.JSONField(_("reasons for open items"), default=dict, blank=True)
    checklist = models.JSONField(_("checklist when submitted"), default=list, blank=True)
    comment = models.TextField(_("county's comment"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")

    objects = RestrictedQuerySet.as_manager()

    scope_path = "township"
    county_path = "county"
    scope_editable = False

    class Meta:
        verbose_name = _("quarter submission")
        verbose_name_plural = _("quarter submissions")
        ordering = ["-period", "township__code"]
        constraints = [models.UniqueConstraint(fields=["township", "period"], name="submission_unique")]
        indexes = [models.Index(fields=["state", "period"], name="submission_state_idx")]

    def __str__(self):
        return f"{self.township} {self.period_label}"


class SubmissionEvent(models.Model):
    """One step of a submission: who, when, what, with the note or comment given."""

    class Action(models.TextChoices):
        SUBMIT = "submit", _("Submitted")
        RETURN = "return", _("Returned")
        APPROVE = "approve", _("Approved")

    submission = models.ForeignKey(Submission, verbose_name=_("submission"), on_delete=models.CASCADE, related_name="events")
    time = models.DateTimeField(_("time"), auto_now_add=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    user_name = models.CharField(_("user name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    note = models.TextField(_("note"), blank=True)

    objects = RestrictedQuerySet.as_manager()

    scope_path = "submission__township"
    county_path = "submission__county"
    scope_editable = False

    class Meta:
        verbose_name = _("submission step")
        verbose_name_plural = _("submission steps")
        ordering = ["time", "pk"]


class Close(PeriodMixin):
    """A county's closed quarter: every township approved, the figures frozen."""

    county = models.ForeignKey("villages.County", verbose_name=_("county"), on_delete=models.CASCADE, related_name="+")
    closed_at = models.DateTimeField(pgettext_lazy("quarter", "closed at"))  # not a grid event's 销号时间 (grids' "closed at")

    objects = RestrictedQuerySet.as_manager()

    scope_path = None
    county_path = "county"
    scope_editable = False

    class Meta:
        verbose_name = _("closed quarter")
        verbose_name_plural = _("closed quarters")
        ordering = ["-period"]
        constraints = [models.UniqueConstraint(fields=["county", "period"], name="close_unique")]

    def __str__(self):
        return f"{self.county} {self.period_label}"


class Snapshot(models.Model):
    """One revision of a closed quarter's frozen figures: 1 at the close, one more for each approved
    correction after it (with its reason)."""

    close = models.ForeignKey(Close, verbose_name=_("closed quarter"), on_delete=models.CASCADE, related_name="snapshots")
    revision = models.PositiveSmallIntegerField(_("revision"))
    made_at = models.DateTimeField(_("made at"))
    reason = models.TextField(_("reason"), blank=True)
    correction = models.ForeignKey("Correction", verbose_name=_("correction request"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    objects = RestrictedQuerySet.as_manager()

    scope_path = None
    county_path = "close__county"
    scope_editable = False

    class Meta:
        verbose_name = _("frozen figures")
        verbose_name_plural = _("frozen figures")
        ordering = ["close", "revision"]
        constraints = [models.UniqueConstraint(fields=["close", "revision"], name="snapshot_unique")]

    def __str__(self):
        return _("%(close)s, revision %(revision)s") % {"close": self.close, "revision": self.revision}


class FrozenValue(models.Model):
    """A figure as it stood at a revision: the county's value, each township's and each village's
    (those with rows), as of the quarter's last day."""

    snapshot = models.ForeignKey(Snapshot, verbose_name=_("frozen figures"), on_delete=models.CASCADE, related_name="values")
    key = models.CharField(_("figure"), max_length=60)
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=2, null=True)
    townships = models.JSONField(_("by township"), default=dict)
    villages = models.JSONField(_("by village"), default=dict)

    objects = RestrictedQuerySet.as_manager()

    scope_path = None
    county_path = "snapshot__close__county"
    scope_editable = False

    class Meta:
        verbose_name = _("frozen figure")
        verbose_name_plural = _("frozen figures")
        constraints = [models.UniqueConstraint(fields=["snapshot", "key"], name="frozenvalue_unique")]


class Correction(PeriodMixin):
    """A correction request (更正申请): a change to a record of a locked quarter, stated by the
    township with its reason, applied when the county approves it."""

    class State(models.TextChoices):
        PENDING = "pending", _("Awaiting decision")
        APPROVED = "approved", _("Approved and applied")
        REJECTED = "rejected", _("Rejected")

    class Action(models.TextChoices):
        CREATE = "create", _("Add")
        UPDATE = "update", _("Change")
        DELETE = "delete", _("Delete")

    township = models.ForeignKey("villages.Township", verbose_name=_("township"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="+")
    county = models.ForeignKey("villages.County", verbose_name=_("county"), on_delete=models.CASCADE, related_name="+")
    content_type = models.ForeignKey(ContentType, verbose_name=_("record type"), on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(_("record id"), max_length=64, blank=True)
    object_repr = models.CharField(_("record"), max_length=200, blank=True)
    action = models.CharField(_("change"), max_length=10, choices=Action.choices)
    data = models.JSONField(_("values asked for"), default=dict, blank=True)
    changes = models.JSONField(_("what changes"), default=dict, blank=True, help_text="{field: [before, after]}")
    reason = models.TextField(_("reason"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decision_note = models.TextField(_("decision note"), blank=True)
    seen_at = models.DateTimeField(_("answer seen at"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    scope_path = "township"
    county_path = "county"
    scope_editable = False

    class Meta:
        verbose_name = _("correction request")
        verbose_name_plural = _("correction requests")
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["state", "county"], name="correction_state_idx")]

    def __str__(self):
        return _("Correction %(pk)s: %(action)s %(record)s") % {"pk": self.pk, "action": self.get_action_display(),
                                                                "record": self.object_repr}
