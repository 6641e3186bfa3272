"""Common-prosperity alliances, joint committees, advisors, enterprises and pairings."""
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from wenshang.kernel.fields import CreditCodeField, MobileField, MoneyField, date_order, non_negative, positive
from wenshang.kernel.models import BaseModel
from wenshang.kernel.validators import check_date_range

from .choices import (
    ActivityKind,
    AllianceScope,
    EvaluationGrade,
    FundEntryKind,
    MemberRole,
    PairingMode,
    PairingPath,
    PairingStatus,
    ResponsibilityStatus,
    UnitKind,
)


class Enterprise(BaseModel):
    """An enterprise, identified by its unified social credit code. ``township`` empty: outside the county."""

    name = models.CharField(_("name"), max_length=200)
    credit_code = CreditCodeField(unique=True)
    county = models.ForeignKey(
        "villages.County", verbose_name=_("county"), on_delete=models.PROTECT, related_name="+",
    )
    township = models.ForeignKey(
        "villages.Township", verbose_name=_("township"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="enterprises",
    )
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    legal_representative = models.CharField(_("legal representative"), max_length=50, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    established_on = models.DateField(_("established on"), null=True, blank=True)

    scope_path = "township"
    scope_null_visible = True
    county_path = "county"

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["name"]

    def __str__(self):
        return self.name


class MemberUnit(BaseModel):
    """A party organization that may belong to several alliances (park, village, market, firm …)."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=UnitKind.choices)
    county = models.ForeignKey(
        "villages.County", verbose_name=_("county"), on_delete=models.PROTECT, related_name="+",
    )
    township = models.ForeignKey(
        "villages.Township", verbose_name=_("township"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="member_units",
    )
    village = models.ForeignKey(
        "villages.Village", verbose_name=_("village"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="member_units",
    )
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), null=True, blank=True, on_delete=models.PROTECT, related_name="member_units"
    )
    secretary_name = models.CharField(_("party secretary"), max_length=50, blank=True)
    contact_phone = MobileField(_("contact phone"))
    party_members = models.PositiveIntegerField(_("party members"), default=0)

    scope_path = "township"
    scope_null_visible = True
    county_path = "county"

    class Meta:
        verbose_name = _("member unit")
        verbose_name_plural = _("member units")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["county", "name"], name="memberunit_unique_name")]

    def __str__(self):
        return self.name

    def clean(self):
        if self.village_id and self.township_id and self.village.township_id != self.township_id:
            raise ValidationError({"village": _("The village must belong to the unit's township.")})
        if self.kind in (UnitKind.VILLAGE, UnitKind.COMMUNITY) and not self.village_id:
            raise ValidationError({"village": _("Choose the village of a village or community unit.")})


class Alliance(BaseModel):
    """A common-prosperity alliance: county-wide (县大联盟), a township's (镇街小联盟) or an industry's.

    Its fund (公积金) is the ledger of ``FundEntry``; the balance is the sum of that ledger.
    """

    name = models.CharField(_("name"), max_length=200)
    scope = models.CharField(_("scope"), max_length=16, choices=AllianceScope.choices)
    county = models.ForeignKey(
        "villages.County", verbose_name=_("county"), on_delete=models.PROTECT, related_name="+",
    )
    township = models.ForeignKey(
        "villages.Township", verbose_name=_("township"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="alliances",
    )
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    founded_on = models.DateField(_("founded on"))
    description = models.TextField(_("description"), blank=True)
    units = models.ManyToManyField(
        MemberUnit, through="AllianceMembership", verbose_name=_("member units"), related_name="alliances"
    )

    scope_path = "township"
    scope_null_visible = True
    county_path = "county"

    class Meta:
        verbose_name = _("common-prosperity alliance")
        verbose_name_plural = _("common-prosperity alliances")
        ordering = ["scope", "name"]
        constraints = [models.UniqueConstraint(fields=["county", "name"], name="alliance_unique_name")]

    def __str__(self):
        return self.name

    def clean(self):
        if self.scope == AllianceScope.TOWNSHIP and not self.township_id:
            raise ValidationError({"township": _("Choose the township of a township alliance.")})
        if self.scope == AllianceScope.COUNTY and self.township_id:
            raise ValidationError({"township": _("A county-wide alliance belongs to no single township.")})
        if self.scope == AllianceScope.INDUSTRY and not self.industry:
            raise ValidationError({"industry": _("Enter the industry of an industry alliance.")})

    def fund_balance(self):
        return fund_balance(self.pk)


class AllianceMembership(BaseModel):
    """A unit's membership of an alliance, with its role and dates."""

    alliance = models.ForeignKey(Alliance, verbose_name=_("alliance"), on_delete=models.CASCADE, related_name="memberships")
    unit = models.ForeignKey(MemberUnit, verbose_name=_("member unit"), on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=MemberRole.choices, default=MemberRole.MEMBER)
    joined_on = models.DateField(_("joined on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)

    scope_path = "alliance__township"
    scope_null_visible = True
    county_path = "alliance__county"

    class Meta:
        verbose_name = _("alliance membership")
        verbose_name_plural = _("alliance memberships")
        ordering = ["alliance", "-role", "unit"]
        constraints = [
            models.UniqueConstraint(fields=["alliance", "unit"], name="membership_unique"),
            date_order("membership", "joined_on", "left_on"),
        ]

    def __str__(self):
        return f"{self.alliance} · {self.unit}"

    def clean(self):
        check_date_range(self.joined_on, self.left_on, "left_on")


class AllianceActivity(BaseModel):
    """An activity under the "five systems": theme days, joint meetings, study visits …"""

    alliance = models.ForeignKey(Alliance, verbose_name=_("alliance"), on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(_("kind"), max_length=16, choices=ActivityKind.choices)
    title = models.CharField(_("title"), max_length=200)
    date = models.DateField(_("date"))
    host_unit = models.ForeignKey(
        MemberUnit, verbose_name=_("host unit"), null=True, blank=True, on_delete=models.SET_NULL, related_name="hosted_activities"
    )
    participants = models.PositiveIntegerField(_("participants"), default=0)
    summary = models.TextField(_("summary"), blank=True)

    scope_path = "alliance__township"
    scope_null_visible = True
    county_path = "alliance__county"

    class Meta:
        verbose_name = _("alliance activity")
        verbose_name_plural = _("alliance activities")
        ordering = ["-date"]

    def __str__(self):
        return self.title


class ResponsibilityItem(BaseModel):
    """An item of an alliance's responsibility list (责任清单): a task, the unit that owns it, a due date."""

    alliance = models.ForeignKey(Alliance, verbose_name=_("alliance"), on_delete=models.CASCADE, related_name="responsibilities")
    unit = models.ForeignKey(
        MemberUnit, verbose_name=_("responsible unit"), null=True, blank=True, on_delete=models.SET_NULL, related_name="responsibilities"
    )
    task = models.CharField(_("task"), max_length=300)
    due_date = models.DateField(_("due date"))
    status = models.CharField(_("status"), max_length=8, choices=ResponsibilityStatus.choices, default=ResponsibilityStatus.OPEN)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)

    scope_path = "alliance__township"
    scope_null_visible = True
    county_path = "alliance__county"

    class Meta:
        verbose_name = _("responsibility item")
        verbose_name_plural = _("responsibility list")
        ordering = ["due_date"]

    def __str__(self):
        return self.task

    def clean(self):
        if self.status == ResponsibilityStatus.DONE and not self.completed_on:
            raise ValidationError({"completed_on": _("A done item needs the date it was completed.")})


def fund_balance(alliance_id, exclude_pk=None):
    """The balance of an alliance's fund: contributions minus disbursements."""
    entries = FundEntry.objects.filter(alliance_id=alliance_id)
    if exclude_pk:
        entries = entries.exclude(pk=exclude_pk)
    totals = entries.aggregate(
        inflow=Coalesce(Sum("amount", filter=Q(kind=FundEntryKind.CONTRIBUTION)), 0, output_field=models.DecimalField()),
        outflow=Coalesce(Sum("amount", filter=Q(kind=FundEntryKind.DISBURSEMENT)), 0, output_field=models.DecimalField()),
    )
    return totals["inflow"] - totals["outflow"]


class FundEntry(BaseModel):
    """An entry in an alliance fund's ledger (共富联盟公积金). The balance may never go negative:
    a disbursement larger than the balance is refused (``clean``; ``alliances.services`` locks the
    alliance row so two clerks cannot overdraw it together). ``balance_after`` is the balance the
    ledger showed when the entry was recorded."""

    alliance = models.ForeignKey(Alliance, verbose_name=_("alliance"), on_delete=models.PROTECT, related_name="fund_entries")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=16, choices=FundEntryKind.choices)
    amount = MoneyField(_("amount (yuan)"))
    unit = models.ForeignKey(
        MemberUnit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.SET_NULL, related_name="fund_entries"
    )
    purpose = models.CharField(_("purpose"), max_length=200)
    balance_after = MoneyField(_("balance after (yuan)"), editable=False)

    scope_path = "alliance__township"
    scope_null_visible = True
    county_path = "alliance__county"

    class Meta:
        verbose_name = _("alliance fund entry")
        verbose_name_plural = _("alliance fund ledger")
        ordering = ["alliance", "date", "pk"]
        constraints = [*positive("fundentry", "amount"), *non_negative("fundentry", "balance_after")]

    def __str__(self):
        return f"{self.alliance} {self.date} {self.get_kind_display()} {self.amount}"

    def clean(self):
        if self.amount is not None and self.amount <= 0:
            raise ValidationError({"amount": _("The amount must be greater than zero.")})
        if self.alliance_id and self.amount is not None:
            balance = fund_balance(self.alliance_id, exclude_pk=self.pk)
            signed = self.amount if self.kind == FundEntryKind.CONTRIBUTION else -self.amount
            if balance + signed < 0:
                raise ValidationError(
                    {
                        "amount": _("This disbursement would overdraw the alliance fund: the balance is %(balance)s yuan.")
                        % {"balance": f"{balance:,.2f}"}
                    }
                )
            self.balance_after = balance + signed


class AllianceEvaluation(BaseModel):
    """A yearly performance evaluation of an alliance (绩效考评, 联比共评)."""

    alliance = models.ForeignKey(Alliance, verbose_name=_("alliance"), on_delete=models.CASCADE, related_name="evaluations")
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    score = models.DecimalField(
        _("score"), max_digits=5, decimal_places=1, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    grade = models.CharField(_("grade"), max_length=16, choices=EvaluationGrade.choices)
    remarks = models.TextField(_("remarks"), blank=True)

    scope_path = "alliance__township"
    scope_null_visible = True
    county_path = "alliance__county"

    class Meta:
        verbose_name = _("alliance evaluation")
        verbose_name_plural = _("alliance evaluations")
        ordering = ["-year", "-score"]
        constraints = [
            models.UniqueConstraint(fields=["alliance", "year"], name="allianceevaluation_unique"),
            models.CheckConstraint(condition=Q(score__gte=0, score__lte=100), name="allianceevaluation_score_range"),
        ]

    def __str__(self):
        return f"{self.alliance} {self.year}"


class JointCommittee(BaseModel):
    """A demonstration zone's joint party committee (联合党委) over several villages, linked to a
    county leader (县级领导联片); each of its villages has a county department assigned (县直部门包村)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    township = models.ForeignKey(
        "villages.Township", verbose_name=_("lead township"), on_delete=models.PROTECT, related_name="joint_committees"
    )
    county_leader = models.CharField(_("county leader in charge"), max_length=50)
    established_on = models.DateField(_("established on"))
    villages = models.ManyToManyField(
        "villages.Village", through="JointCommitteeVillage", verbose_name=_("villages"), related_name="joint_committees"
    )

    scope_path = "township"

    class Meta:
        verbose_name = _("joint committee")
        verbose_name_plural = _("joint committees")
        ordering = ["name"]

    def __str__(self):
        return self.name


class JointCommitteeVillage(BaseModel):
    """A village in a joint committee's zone, with the county department assigned to it.
    A village is in at most one zone."""

    committee = models.ForeignKey(
        JointCommittee, verbose_name=_("joint committee"), on_delete=models.CASCADE, related_name="zone_villages"
    )
    village = models.OneToOneField(
        "villages.Village", verbose_name=_("village"), on_delete=models.CASCADE, related_name="zone_membership"
    )
    department = models.CharField(_("assigned county department"), max_length=100, blank=True)
    joined_on = models.DateField(_("joined on"))

    scope_path = "village__township"

    class Meta:
        verbose_name = _("joint committee village")
        verbose_name_plural = _("joint committee villages")
        ordering = ["committee", "village"]

    def __str__(self):
        return f"{self.committee} · {self.village}"


class Advisor(BaseModel):
    """A development advisor (乡村振兴发展顾问) seconded from a county department to a zone."""

    name = models.CharField(_("full name"), max_length=50)
    department = models.CharField(_("department"), max_length=100)
    specialty = models.CharField(_("specialty"), max_length=100, blank=True)
    phone = MobileField(_("mobile number"))
    joint_committee = models.ForeignKey(
        JointCommittee, verbose_name=_("joint committee"), on_delete=models.PROTECT, related_name="advisors"
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)

    scope_path = "joint_committee__township"

    class Meta:
        verbose_name = _("development advisor")
        verbose_name_plural = _("development advisors")
        ordering = ["joint_committee", "name"]
        constraints = [date_order("advisor")]

    def __str__(self):
        return f"{self.name}（{self.department}）"

    def clean(self):
        check_date_range(self.start_date, self.end_date)


class Pairing(BaseModel):
    """A village-enterprise pairing (村企联建): one linkage mode and one practice path."""

    enterprise = models.ForeignKey(Enterprise, verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="pairings")
    village = models.ForeignKey("villages.Village", verbose_name=_("village"), on_delete=models.PROTECT, related_name="pairings")
    mode = models.CharField(_("linkage mode"), max_length=20, choices=PairingMode.choices)
    path = models.CharField(_("practice path"), max_length=20, choices=PairingPath.choices)
    status = models.CharField(_("status"), max_length=8, choices=PairingStatus.choices, default=PairingStatus.ACTIVE)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    agreement = models.TextField(_("agreement"), blank=True)

    scope_path = "village__township"

    class Meta:
        verbose_name = _("village-enterprise pairing")
        verbose_name_plural = _("village-enterprise pairings")
        ordering = ["village", "enterprise"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "village"], name="pairing_unique"),
            date_order("pairing"),
        ]

    def __str__(self):
        return f"{self.village} × {self.enterprise}"

    def clean(self):
        check_date_range(self.start_date, self.end_date)


class PairingOutcome(BaseModel):
    """What a pairing brought in a year: village collective income added and new jobs."""

    pairing = models.ForeignKey(Pairing, verbose_name=_("pairing"), on_delete=models.CASCADE, related_name="outcomes")
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    income_added = MoneyField(_("collective income added (yuan)"))
    jobs_added = models.PositiveIntegerField(_("new jobs"), default=0)
    note = models.CharField(_("note"), max_length=200, blank=True)

    scope_path = "pairing__village__township"

    class Meta:
        verbose_name = _("pairing outcome")
        verbose_name_plural = _("pairing outcomes")
        ordering = ["pairing", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["pairing", "year"], name="pairingoutcome_unique"),
            *non_negative("pairingoutcome", "income_added"),
        ]

    def __str__(self):
        return f"{self.pairing} {self.year}"


class TaskForceUnit(BaseModel):
    """A member unit of the county's village-enterprise pairing task force (村企联建专班)."""

    name = models.CharField(_("name"), max_length=100)
    county = models.ForeignKey(
        "villages.County", verbose_name=_("county"), on_delete=models.PROTECT, related_name="+",
    )
    responsibility = models.CharField(_("responsibility"), max_length=200, blank=True)
    is_lead = models.BooleanField(_("lead unit"), default=False)

    county_path = "county"

    class Meta:
        verbose_name = _("task-force unit")
        verbose_name_plural = _("task-force units")
        ordering = ["-is_lead", "name"]
        constraints = [models.UniqueConstraint(fields=["county", "name"], name="taskforceunit_unique_name")]

    def __str__(self):
        return self.name
