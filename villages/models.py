"""Geography, tiers, collective income, projects and the quarterly grand survey."""
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wenshang.kernel.fields import AreaField, DivisionCodeField, MoneyField, date_order, non_negative
from wenshang.kernel.models import BaseModel
from wenshang.kernel.validators import check_date_range

from .choices import (
    ProblemCategory,
    ProblemStatus,
    ProjectKind,
    ProjectStatus,
    Quarter,
    TargetIndicator,
    Tier,
    TownshipKind,
    VillageHonourKind,
    VillageKind,
)


class City(BaseModel):
    """A prefecture-level city (地级市, e.g. 370800 济宁市) that runs one portal for its counties."""

    code = DivisionCodeField(_("division code"), 6, unique=True)
    name = models.CharField(_("name"), max_length=50)

    county_path = "counties"  # read by the users of its counties (its own and the deployment's change it)
    city_path = "pk"
    above_county = True
    admin_only = True

    class Meta:
        verbose_name = _("city")
        verbose_name_plural = _("cities")
        ordering = ["code"]

    def __str__(self):
        return self.name

    def clean(self):
        if self.code and not self.code.endswith("00"):
            raise ValidationError({"code": _("A city's division code ends in 00, e.g. 370800.")})


class County(BaseModel):
    """A county-level unit (县、县级市、区): the level the portal's work is organized at. A county may
    stand alone (one county's deployment) or belong to a city that runs the portal for all of its
    counties."""

    city = models.ForeignKey(
        City, verbose_name=_("city"), null=True, blank=True, on_delete=models.PROTECT, related_name="counties"
    )
    code = DivisionCodeField(_("division code"), 6, unique=True)
    name = models.CharField(_("name"), max_length=50)

    county_path = "pk"
    admin_only = True

    class Meta:
        verbose_name = _("county")
        verbose_name_plural = _("counties")
        ordering = ["code"]

    def __str__(self):
        return self.name

    def clean(self):
        if self.city_id and self.code and self.code[:4] != self.city.code[:4]:
            raise ValidationError(
                {"code": _("A county's code must begin with its city's code %(code)s.") % {"code": self.city.code[:4]}}
            )


class Township(BaseModel):
    """A town, township or sub-district under the county, with its official 9-digit code."""

    county = models.ForeignKey(County, verbose_name=_("county"), on_delete=models.PROTECT, related_name="townships")
    code = DivisionCodeField(_("division code"), 9, unique=True)
    name = models.CharField(_("name"), max_length=50)
    kind = models.CharField(_("kind"), max_length=16, choices=TownshipKind.choices, default=TownshipKind.TOWN)

    scope_path = "pk"
    admin_only = True

    class Meta:
        verbose_name = _("township")
        verbose_name_plural = _("townships")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["county", "name"], name="township_unique_name")]

    def __str__(self):
        return self.name

    def clean(self):
        if self.county_id and self.code and not self.code.startswith(self.county.code):
            raise ValidationError(
                {"code": _("A township's code must begin with its county's code %(code)s.") % {"code": self.county.code}}
            )


class Village(BaseModel):
    """An administrative village or community: the unit most data hangs on.

    ``tier`` is the current tier; ``TierChange`` keeps every change with date and reason.
    ``latitude``/``longitude`` place the village on the county map.
    """

    township = models.ForeignKey(Township, verbose_name=_("township"), on_delete=models.PROTECT, related_name="villages")
    code = DivisionCodeField(_("division code"), 12, unique=True)
    name = models.CharField(_("name"), max_length=50)
    kind = models.CharField(_("kind"), max_length=16, choices=VillageKind.choices, default=VillageKind.VILLAGE)
    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices, default=Tier.EXCELLENCE)
    households = models.PositiveIntegerField(_("number of households"), default=0)
    population = models.PositiveIntegerField(_("population"), default=0)
    area = AreaField(_("area (km²)"), null=True, blank=True)
    is_relief_village = models.BooleanField(_("formerly poverty-stricken village"), default=False)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)

    scope_path = "township"

    class Meta:
        verbose_name = _("village")
        verbose_name_plural = _("villages")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["township", "name"], name="village_unique_name")]

    def __str__(self):
        return self.name

    def clean(self):
        if self.township_id and self.code and not self.code.startswith(self.township.code):
            raise ValidationError(
                {
                    "code": _("A village's 12-digit code must begin with its township's code %(code)s.")
                    % {"code": self.township.code}
                }
            )


class TierChange(BaseModel):
    """A change of a village's tier: the date, the tier before and after, why and who decided.

    The first record of a village has no ``from_tier`` (its tier when the programme began).
    """

    village = models.ForeignKey(Village, verbose_name=_("village"), on_delete=models.CASCADE, related_name="tier_changes")
    date = models.DateField(_("date"))
    from_tier = models.CharField(_("tier before"), max_length=16, choices=Tier.choices, blank=True)
    to_tier = models.CharField(_("tier after"), max_length=16, choices=Tier.choices)
    reason = models.TextField(_("reason"))
    decided_by = models.CharField(_("decided by"), max_length=100)

    scope_path = "village__township"

    class Meta:
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")
        ordering = ["village", "date", "pk"]

    def __str__(self):
        return f"{self.village} {self.date}: {self.get_to_tier_display()}"

    def clean(self):
        if self.from_tier and self.from_tier == self.to_tier:
            raise ValidationError({"to_tier": _("The new tier must differ from the tier before.")})


class VillageHonour(BaseModel):
    """A title awarded to a village (national governance demo village, provincial demo village …)."""

    village = models.ForeignKey(Village, verbose_name=_("village"), on_delete=models.CASCADE, related_name="honours")
    kind = models.CharField(_("kind"), max_length=32, choices=VillageHonourKind.choices)
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    awarded_by = models.CharField(_("awarded by"), max_length=100, blank=True)

    scope_path = "village__township"

    class Meta:
        verbose_name = _("village honour")
        verbose_name_plural = _("village honours")
        ordering = ["-year", "village"]
        constraints = [models.UniqueConstraint(fields=["village", "kind"], name="villagehonour_unique")]

    def __str__(self):
        return f"{self.village} {self.get_kind_display()}"


class CollectiveIncome(BaseModel):
    """The yearly income of a village collective, in yuan; ``operating`` is the business part."""

    village = models.ForeignKey(Village, verbose_name=_("village"), on_delete=models.CASCADE, related_name="incomes")
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    amount = MoneyField(_("collective income (yuan)"))
    operating = MoneyField(_("of which operating income (yuan)"))

    scope_path = "village__township"

    class Meta:
        verbose_name = _("collective income")
        verbose_name_plural = _("collective income")
        ordering = ["village", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["village", "year"], name="collectiveincome_unique"),
            *non_negative("collectiveincome", "amount", "operating"),
            models.CheckConstraint(condition=Q(operating__lte=models.F("amount")), name="collectiveincome_operating_le"),
        ]

    def __str__(self):
        return f"{self.village} {self.year}"

    def clean(self):
        if self.amount is not None and self.operating is not None and self.operating > self.amount:
            raise ValidationError({"operating": _("Operating income cannot exceed the total income.")})


class Project(BaseModel):
    """A rural-revitalization project of any kind (key zone, park, pairing, partner, first secretary …).

    One model with a ``kind``; the programme that brought it is linked where there is one.
    ``income_added`` is the yearly income it adds (village collective income, or farmers' income
    for partner projects); ``jobs`` the jobs it created. Partner projects still looking for a
    partner are ``screened``.
    """

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=ProjectKind.choices)
    status = models.CharField(_("status"), max_length=16, choices=ProjectStatus.choices, default=ProjectStatus.PLANNED)
    township = models.ForeignKey(
        Township, verbose_name=_("lead township"), on_delete=models.PROTECT, related_name="projects"
    )
    villages = models.ManyToManyField(Village, verbose_name=_("villages served"), related_name="projects", blank=True)
    joint_committee = models.ForeignKey(
        "alliances.JointCommittee",
        verbose_name=_("joint committee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="projects",
    )
    pairing = models.ForeignKey(
        "alliances.Pairing", verbose_name=_("pairing"), null=True, blank=True, on_delete=models.SET_NULL, related_name="projects"
    )
    partner = models.ForeignKey(
        "talent.Partner", verbose_name=_("partner"), null=True, blank=True, on_delete=models.SET_NULL, related_name="projects"
    )
    first_secretary = models.ForeignKey(
        "talent.FirstSecretary",
        verbose_name=_("first secretary"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="projects",
    )
    investment = MoneyField(_("investment (yuan)"))
    jobs = models.PositiveIntegerField(_("jobs created"), default=0)
    period_open_fields = ("status", "end_date", "jobs")  # a project started in a locked quarter goes on
    income_added = MoneyField(_("income added per year (yuan)"))
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)

    scope_path = "township"

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["-start_date", "name"]
        constraints = [*non_negative("project", "investment", "income_added"), date_order("project")]
        indexes = [models.Index(fields=["kind", "status"], name="project_kind_status_idx")]

    def __str__(self):
        return self.name

    def clean(self):
        check_date_range(self.start_date, self.end_date)
        links = {
            ProjectKind.PAIRING: ("pairing", _("Choose the pairing this project came from.")),
            ProjectKind.FIRST_SECRETARY: ("first_secretary", _("Choose the first secretary of this assistance project.")),
        }
        if self.kind in links:
            field, message = links[self.kind]
            if not getattr(self, f"{field}_id"):
                raise ValidationError({field: message})


class SurveyRound(BaseModel):
    """One quarter's grand survey (乡村振兴大调研)."""

    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    quarter = models.PositiveSmallIntegerField(_("quarter"), choices=Quarter.choices)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    theme = models.CharField(_("theme"), max_length=200, blank=True)
    county = models.ForeignKey(
        County, verbose_name=_("county"), on_delete=models.PROTECT, related_name="+",
    )

    county_path = "county"

    class Meta:
        verbose_name = _("survey round")
        verbose_name_plural = _("survey rounds")
        ordering = ["-year", "-quarter"]
        constraints = [
            models.UniqueConstraint(fields=["county", "year", "quarter"], name="surveyround_unique"),
            date_order("surveyround"),
        ]

    def __str__(self):
        return _("%(year)s Q%(quarter)s grand survey") % {"year": self.year, "quarter": self.quarter}

    def clean(self):
        check_date_range(self.start_date, self.end_date)


class SurveyAssignment(BaseModel):
    """Which leader (包村领导干部) and development advisor a round sends to a village."""

    round = models.ForeignKey(SurveyRound, verbose_name=_("survey round"), on_delete=models.CASCADE, related_name="assignments")
    village = models.ForeignKey(Village, verbose_name=_("village"), on_delete=models.CASCADE, related_name="survey_assignments")
    leader_name = models.CharField(_("leader"), max_length=50)
    leader_title = models.CharField(_("leader's post"), max_length=100, blank=True)
    advisor = models.ForeignKey(
        "alliances.Advisor", verbose_name=_("development advisor"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="survey_assignments",
    )

    scope_path = "village__township"

    class Meta:
        verbose_name = _("survey assignment")
        verbose_name_plural = _("survey assignments")
        ordering = ["round", "village"]
        constraints = [models.UniqueConstraint(fields=["round", "village"], name="surveyassignment_unique")]

    def __str__(self):
        return f"{self.round} {self.village} {self.leader_name}"


RATING = [MinValueValidator(1), MaxValueValidator(5)]


class SurveyVisit(BaseModel):
    """A visit to a village in a survey round: ratings from 1 (weak) to 5 (strong) and an analysis."""

    round = models.ForeignKey(SurveyRound, verbose_name=_("survey round"), on_delete=models.PROTECT, related_name="visits")
    village = models.ForeignKey(Village, verbose_name=_("village"), on_delete=models.CASCADE, related_name="survey_visits")
    visited_on = models.DateField(_("visited on"))
    visitors = models.CharField(_("visitors"), max_length=200)
    rating_organization = models.PositiveSmallIntegerField(_("organization rating"), validators=RATING)
    rating_industry = models.PositiveSmallIntegerField(_("industry rating"), validators=RATING)
    rating_talent = models.PositiveSmallIntegerField(_("talent rating"), validators=RATING)
    rating_governance = models.PositiveSmallIntegerField(_("governance rating"), validators=RATING)
    rating_environment = models.PositiveSmallIntegerField(_("living-environment rating"), validators=RATING)
    analysis = models.TextField(_("situation analysis"))

    scope_path = "village__township"
    period_date = "visited_on"  # a visit belongs to the quarter it was made in (its figures count by the round's year)

    class Meta:
        verbose_name = _("survey visit")
        verbose_name_plural = _("survey visits")
        ordering = ["-visited_on", "village"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating_organization__range=(1, 5), rating_industry__range=(1, 5), rating_talent__range=(1, 5),
                            rating_governance__range=(1, 5), rating_environment__range=(1, 5)),
                name="surveyvisit_ratings_range",
            )
        ]

    def __str__(self):
        return f"{self.village} {self.visited_on}"

    def clean(self):
        if self.round_id and self.visited_on and not (self.round.start_date <= self.visited_on <= self.round.end_date):
            raise ValidationError({"visited_on": _("The visit date must fall within the survey round.")})


class SurveyProblem(BaseModel):
    """A problem found on a survey visit, followed until it is closed (销号) with evidence."""

    visit = models.ForeignKey(SurveyVisit, verbose_name=_("survey visit"), on_delete=models.CASCADE, related_name="problems")
    village = models.ForeignKey(Village, verbose_name=_("village"), on_delete=models.CASCADE, related_name="survey_problems")
    category = models.CharField(_("category"), max_length=16, choices=ProblemCategory.choices)
    description = models.TextField(_("description"))
    responsible_unit = models.CharField(_("responsible unit"), max_length=100)
    deadline = models.DateField(_("deadline"))
    status = models.CharField(_("status"), max_length=16, choices=ProblemStatus.choices, default=ProblemStatus.OPEN)
    progress = models.TextField(_("progress"), blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closure_evidence = models.TextField(_("evidence of closure"), blank=True)

    scope_path = "village__township"

    class Meta:
        verbose_name = _("survey problem")
        verbose_name_plural = _("survey problems")
        ordering = ["deadline", "pk"]
        indexes = [models.Index(fields=["status", "deadline"], name="surveyproblem_status_idx")]

    def __str__(self):
        return f"{self.village}: {self.description[:30]}"

    def clean(self):
        errors = {}
        if self.visit_id and self.village_id and self.visit.village_id != self.village_id:
            errors["village"] = _("The problem's village must be the village visited.")
        if self.status == ProblemStatus.CLOSED:
            if not self.closed_on:
                errors["closed_on"] = _("A closed problem needs the date it was closed.")
            if not self.closure_evidence:
                errors["closure_evidence"] = _("A closed problem needs evidence of closure.")
        elif self.closed_on:
            errors["closed_on"] = _("Only a closed problem has a closing date.")
        if errors:
            raise ValidationError(errors)


class Target(BaseModel):
    """A year's target for one indicator, set for the county (no township, no village), a township
    (no village) or a village (its township is the village's). The county sets its own and the
    townships' targets; a township's staff set its villages' targets. How far each has come is
    counted from the records (``wenshang.dashboard.targets``)."""

    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    indicator = models.CharField(_("indicator"), max_length=32, choices=TargetIndicator.choices)
    county = models.ForeignKey(
        County, verbose_name=_("county"), on_delete=models.PROTECT, related_name="+",
    )
    township = models.ForeignKey(
        Township, verbose_name=_("township"), null=True, blank=True, on_delete=models.CASCADE, related_name="targets",
        help_text=_("Leave empty for a target of the whole county; filled in from the village for a village's target."),
    )
    village = models.ForeignKey(
        Village, verbose_name=_("village"), null=True, blank=True, on_delete=models.CASCADE, related_name="targets",
        help_text=_("Leave empty for a target of the township (or of the county)."),
    )
    value = models.DecimalField(_("target value"), max_digits=16, decimal_places=2, validators=[MinValueValidator(0)])
    note = models.CharField(_("note"), max_length=200, blank=True)

    scope_path = "township"
    county_path = "county"
    scope_null_visible = True  # township staff read the county's targets
    township_writes_need = "village"  # and set only their villages' (their township's own is the county's)

    class Meta:
        verbose_name = _("annual target")
        verbose_name_plural = _("annual targets")
        ordering = ["-year", "indicator", "township", "village"]
        constraints = [
            models.UniqueConstraint(
                fields=["county", "year", "indicator"], condition=Q(township__isnull=True, village__isnull=True),
                name="target_unique_county", violation_error_message=_("The county already has a target for this indicator and year."),
            ),
            models.UniqueConstraint(
                fields=["year", "indicator", "township"], condition=Q(township__isnull=False, village__isnull=True),
                name="target_unique_township",
                violation_error_message=_("This township already has a target for this indicator and year."),
            ),
            models.UniqueConstraint(
                fields=["year", "indicator", "village"], condition=Q(village__isnull=False),
                name="target_unique_village", violation_error_message=_("This village already has a target for this indicator and year."),
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="target_value_non_negative"),
            models.CheckConstraint(condition=Q(village__isnull=True) | Q(township__isnull=False), name="target_village_has_township"),
        ]
        indexes = [models.Index(fields=["year", "indicator"], name="target_year_indicator_idx")]

    def __str__(self):
        return f"{self.year} {self.get_indicator_display()} · {self.village or self.township or _('the county')}"

    @property
    def level(self):
        return "village" if self.village_id else "township" if self.township_id else "county"

    def clean(self):
        errors = {}
        if self.village_id:
            township_id = self.village.township_id  # the village comes with the form's (or the import's) choices
            if self.township_id and self.township_id != township_id:
                errors["village"] = _("The village is not in the township chosen.")
            else:
                self.township_id = township_id
        if self.value is not None and self.indicator in COUNTED_INDICATORS and self.value != int(self.value):
            errors["value"] = _("This indicator is a number of people or visits: enter a whole number.")
        if errors:
            raise ValidationError(errors)


COUNTED_INDICATORS = {TargetIndicator.SURVEY_VISITS, TargetIndicator.RESERVE_CADRES, TargetIndicator.RETURNEES}
