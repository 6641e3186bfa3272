"""Grids, grid workers and lane chiefs, households and their credit points, grid events, lecture halls."""
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wenshang.kernel.fields import IdNumberField, MobileField
from wenshang.kernel.models import BaseModel
from wenshang.kernel.validators import check_date_range

from .choices import CreditCategory, EventCategory, EventStatus, WorkerRole


class Grid(BaseModel):
    """A subdivision of a village for governance. Its code is the village code and 3 digits."""

    village = models.ForeignKey("villages.Village", verbose_name=_("village"), on_delete=models.PROTECT, related_name="grids")
    code = models.CharField(_("grid code"), max_length=15, unique=True)
    name = models.CharField(_("name"), max_length=50)
    households = models.PositiveIntegerField(_("number of households"), default=0)
    population = models.PositiveIntegerField(_("population"), default=0)

    scope_path = "village__township"

    class Meta:
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["village", "name"], name="grid_unique_name")]

    def __str__(self):
        return self.name

    def clean(self):
        if self.village_id and self.code and not (
            self.code.startswith(self.village.code) and len(self.code) == 15 and self.code.isdigit()
        ):
            raise ValidationError(
                {"code": _("A grid code is its village's code %(code)s and 3 digits.") % {"code": self.village.code}}
            )


class GridWorker(BaseModel):
    """A grid leader, grid worker or lane chief (街巷长, "汶暖先锋"); lane chiefs name their lane."""

    grid = models.ForeignKey(Grid, verbose_name=_("grid"), on_delete=models.CASCADE, related_name="workers")
    name = models.CharField(_("full name"), max_length=50)
    role = models.CharField(_("role"), max_length=16, choices=WorkerRole.choices)
    phone = MobileField()
    lane = models.CharField(_("lane"), max_length=100, blank=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)

    scope_path = "grid__village__township"

    class Meta:
        verbose_name = _("grid worker")
        verbose_name_plural = _("grid workers")
        ordering = ["grid", "role", "name"]

    def __str__(self):
        return f"{self.name}（{self.get_role_display()}）"

    def clean(self):
        check_date_range(self.start_date, self.end_date)
        if self.role == WorkerRole.LANE_CHIEF and not self.lane:
            raise ValidationError({"lane": _("Enter the lane this lane chief is responsible for.")})


class Household(BaseModel):
    """A household in the credit system. ``credit_points`` is the total of its credit records,
    kept by ``grids.services.add_credit_record``; villages rank households by it."""

    grid = models.ForeignKey(Grid, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="credit_households")
    head_name = models.CharField(_("head of household"), max_length=50)
    head_id_number = IdNumberField(unique=True)
    members = models.PositiveSmallIntegerField(_("members"), default=1)
    address = models.CharField(_("address"), max_length=200, blank=True)
    credit_points = models.IntegerField(_("credit points"), default=0)

    scope_path = "grid__village__township"

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["grid", "-credit_points"]

    def __str__(self):
        return f"{self.head_name}户"


class CreditRecord(BaseModel):
    """Points a household earned or lost, with the category and the reason."""

    household = models.ForeignKey(Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="credit_records")
    date = models.DateField(_("date"))
    category = models.CharField(_("category"), max_length=16, choices=CreditCategory.choices)
    points = models.SmallIntegerField(_("points"))
    reason = models.CharField(_("reason"), max_length=200)

    scope_path = "household__grid__village__township"

    class Meta:
        verbose_name = _("credit record")
        verbose_name_plural = _("credit records")
        ordering = ["-date", "pk"]
        constraints = [models.CheckConstraint(condition=~Q(points=0), name="creditrecord_points_nonzero")]
        # The list's order (a city holds some 260,000 records): its pages by keyset read this index.
        indexes = [models.Index(fields=["date"], name="creditrecord_date_idx")]

    def __str__(self):
        return f"{self.household} {self.points:+d}"

    def clean(self):
        if self.points == 0:
            raise ValidationError({"points": _("Points must not be zero.")})
        if self.category == CreditCategory.PENALTY and self.points and self.points > 0:
            raise ValidationError({"points": _("A deduction has negative points.")})


class GridEvent(BaseModel):
    """A problem reported in a grid: reported → assigned → resolved → closed, who and when at each step."""

    grid = models.ForeignKey(Grid, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="events")
    title = models.CharField(_("title"), max_length=200)
    category = models.CharField(_("category"), max_length=16, choices=EventCategory.choices)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=EventStatus.choices, default=EventStatus.REPORTED)
    reported_at = models.DateTimeField(_("reported at"))
    reported_by = models.CharField(_("reported by"), max_length=50)
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    assigned_to = models.CharField(_("assigned to"), max_length=50, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.CharField(_("closed by"), max_length=50, blank=True)

    # an event reported in a locked quarter is still handled and closed later
    period_open_fields = ("status", "assigned_at", "assigned_to", "resolved_at", "resolution", "closed_at", "closed_by")

    scope_path = "grid__village__township"

    class Meta:
        verbose_name = _("grid event")
        verbose_name_plural = _("grid events")
        ordering = ["-reported_at"]
        indexes = [models.Index(fields=["status"], name="gridevent_status_idx")]

    def __str__(self):
        return self.title

    STEPS = [
        (EventStatus.ASSIGNED, "assigned_at", "assigned_to"),
        (EventStatus.RESOLVED, "resolved_at", "resolution"),
        (EventStatus.CLOSED, "closed_at", "closed_by"),
    ]

    def clean(self):
        order = list(EventStatus.values)
        reached = order.index(self.status) if self.status in order else 0
        errors = {}
        previous = self.reported_at
        for status, time_field, who_field in self.STEPS:
            when = getattr(self, time_field)
            if order.index(status) <= reached:
                if not when:
                    errors[time_field] = _("Enter the time of this step.")
                if not getattr(self, who_field):
                    errors[who_field] = _("Fill this in for the event's current status.")
            elif when:
                errors[time_field] = _("Leave this empty: the event has not reached this step yet.")
            if when and previous and when < previous:
                errors[time_field] = _("A step cannot come before the step before it.")
            previous = when or previous
        if errors:
            raise ValidationError(errors)


class LectureHall(BaseModel):
    """A Confucius lecture hall (孔子讲学堂) in a village."""

    village = models.ForeignKey("villages.Village", verbose_name=_("village"), on_delete=models.PROTECT, related_name="lecture_halls")
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    opened_on = models.DateField(_("opened on"))

    scope_path = "village__township"

    class Meta:
        verbose_name = _("lecture hall")
        verbose_name_plural = _("lecture halls")
        ordering = ["village", "name"]

    def __str__(self):
        return self.name


class LectureSession(BaseModel):
    """A session held in a lecture hall: date, topic, speaker, attendance."""

    hall = models.ForeignKey(LectureHall, verbose_name=_("lecture hall"), on_delete=models.CASCADE, related_name="sessions")
    date = models.DateField(_("date"))
    topic = models.CharField(_("topic"), max_length=200)
    speaker = models.CharField(_("speaker"), max_length=50)
    attendance = models.PositiveIntegerField(_("attendance"), default=0)

    scope_path = "hall__village__township"

    class Meta:
        verbose_name = _("lecture session")
        verbose_name_plural = _("lecture sessions")
        ordering = ["-date"]

    def __str__(self):
        return f"{self.date} {self.topic}"
