"""People and their roles in the talent chain."""
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wenshang.kernel.fields import IdNumberField, MobileField, date_order
from wenshang.kernel.models import BaseModel
from wenshang.kernel.validators import check_date_range

from .choices import (
    AssessmentKind,
    Education,
    EvaluationGrade,
    Gender,
    HonourKind,
    PartySchoolLevel,
    ReserveStatus,
    ReturneeRole,
    TrainingKind,
)


class Person(BaseModel):
    """A person of the talent chain (one record, many roles). The ID number is the natural key;
    birth date and gender are read from it when it is given."""

    name = models.CharField(_("full name"), max_length=50)
    id_number = IdNumberField(blank=True)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    phone = MobileField()
    township = models.ForeignKey("villages.Township", verbose_name=_("township"), on_delete=models.PROTECT, related_name="people")
    village = models.ForeignKey(
        "villages.Village", verbose_name=_("village"), null=True, blank=True, on_delete=models.PROTECT, related_name="people"
    )
    education = models.CharField(_("education"), max_length=16, choices=Education.choices, blank=True)
    is_party_member = models.BooleanField(_("party member"), default=False)
    workplace = models.CharField(_("workplace"), max_length=200, blank=True)

    scope_path = "township"

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["township", "name"]
        constraints = [
            models.UniqueConstraint(fields=["id_number"], condition=~Q(id_number=""), name="person_unique_id_number")
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.id_number:
            self.id_number = self.id_number.upper()
            try:
                self.birth_date = date(int(self.id_number[6:10]), int(self.id_number[10:12]), int(self.id_number[12:14]))
                self.gender = "M" if int(self.id_number[16]) % 2 else "F"
            except ValueError:
                pass  # the field validator reports the bad number
        if self.village_id and self.township_id and self.village.township_id != self.township_id:
            raise ValidationError({"village": _("The village must belong to the person's township.")})


class VillageSecretary(BaseModel):
    """A village party secretary's term (the "头雁"). The "8090" programme is secretaries born in
    the 1980s or 1990s: read from the person's date of birth."""

    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="secretary_terms")
    village = models.ForeignKey("villages.Village", verbose_name=_("village"), on_delete=models.PROTECT, related_name="secretaries")
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    is_also_director = models.BooleanField(_("also committee director"), default=True)

    scope_path = "village__township"

    class Meta:
        verbose_name = _("village secretary")
        verbose_name_plural = _("village secretaries")
        ordering = ["village", "-start_date"]
        constraints = [
            date_order("villagesecretary"),
            models.UniqueConstraint(fields=["village"], condition=Q(end_date__isnull=True), name="villagesecretary_one_current"),
        ]

    def __str__(self):
        return f"{self.village} {self.person}"

    def clean(self):
        check_date_range(self.start_date, self.end_date)


class SecretaryAssessment(BaseModel):
    """An assessment of a village secretary: an arena contest (擂台比武) or upgraded report (提级述职)."""

    secretary = models.ForeignKey(
        VillageSecretary, verbose_name=_("village secretary"), on_delete=models.CASCADE, related_name="assessments"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=AssessmentKind.choices)
    date = models.DateField(_("date"))
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=1, validators=[MinValueValidator(0), MaxValueValidator(100)])
    result = models.CharField(_("result"), max_length=100, blank=True)

    scope_path = "secretary__village__township"

    class Meta:
        verbose_name = _("secretary assessment")
        verbose_name_plural = _("secretary assessments")
        ordering = ["-date"]

    def __str__(self):
        return f"{self.secretary} {self.get_kind_display()} {self.date}"


class ReserveCadre(BaseModel):
    """A reserve cadre (后备人才) trained to join a village committee, with a named mentor."""

    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="reserve_roles")
    village = models.ForeignKey("villages.Village", verbose_name=_("village"), on_delete=models.PROTECT, related_name="reserve_cadres")
    mentor = models.CharField(_("mentor"), max_length=50)
    since = models.DateField(_("in reserve since"))
    status = models.CharField(_("status"), max_length=16, choices=ReserveStatus.choices, default=ReserveStatus.TRAINING)
    appointed_on = models.DateField(_("appointed on"), null=True, blank=True)

    scope_path = "village__township"

    class Meta:
        verbose_name = _("reserve cadre")
        verbose_name_plural = _("reserve cadres")
        ordering = ["village", "since"]
        constraints = [models.UniqueConstraint(fields=["person", "village"], name="reservecadre_unique")]

    def __str__(self):
        return f"{self.person}（{self.village}）"

    def clean(self):
        if self.status == ReserveStatus.APPOINTED and not self.appointed_on:
            raise ValidationError({"appointed_on": _("An appointed reserve cadre needs the date of appointment.")})
        check_date_range(self.since, self.appointed_on, "appointed_on")


class RecruitingStation(BaseModel):
    """A returnee recruiting station (归雁回引工作站) in a city outside the county."""

    name = models.CharField(_("name"), max_length=100)
    county = models.ForeignKey(
        "villages.County", verbose_name=_("county"), on_delete=models.PROTECT, related_name="+",
    )
    city = models.CharField(_("city"), max_length=50)
    established_on = models.DateField(_("established on"))
    contact = models.CharField(_("contact person"), max_length=50, blank=True)

    county_path = "county"

    class Meta:
        verbose_name = _("recruiting station")
        verbose_name_plural = _("recruiting stations")
        ordering = ["established_on"]
        constraints = [models.UniqueConstraint(fields=["county", "name"], name="recruitingstation_unique_name")]

    def __str__(self):
        return self.name


class Returnee(BaseModel):
    """A talent working outside the county recruited back (归雁回引)."""

    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="returns")
    station = models.ForeignKey(
        RecruitingStation, verbose_name=_("recruiting station"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="returnees",
    )
    returned_on = models.DateField(_("returned on"))
    from_city = models.CharField(_("came back from"), max_length=50)
    previous_occupation = models.CharField(_("previous occupation"), max_length=100, blank=True)
    role = models.CharField(_("role taken"), max_length=16, choices=ReturneeRole.choices)

    scope_path = "person__township"

    class Meta:
        verbose_name = _("returnee")
        verbose_name_plural = _("returnees")
        ordering = ["-returned_on"]

    def __str__(self):
        return f"{self.person} {self.returned_on}"


class Workstation(BaseModel):
    """A rural-revitalization workstation (乡村振兴工作站) that binds partners to projects."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    township = models.ForeignKey("villages.Township", verbose_name=_("township"), on_delete=models.PROTECT, related_name="workstations")
    established_on = models.DateField(_("established on"))

    scope_path = "township"

    class Meta:
        verbose_name = _("workstation")
        verbose_name_plural = _("workstations")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Partner(BaseModel):
    """A rural-revitalization partner (乡村振兴合伙人): an outside investor or entrepreneur."""

    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="partner_roles")
    workstation = models.ForeignKey(Workstation, verbose_name=_("workstation"), on_delete=models.PROTECT, related_name="partners")
    organization = models.CharField(_("organization"), max_length=200, blank=True)
    field = models.CharField(_("field"), max_length=100)
    joined_on = models.DateField(_("joined on"))

    scope_path = "workstation__township"

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["joined_on"]

    def __str__(self):
        return str(self.person)


class PartySchool(BaseModel):
    """A party school of the "1+15+N" system: the county's, one per township, village teaching points."""

    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=16, choices=PartySchoolLevel.choices)
    county = models.ForeignKey(
        "villages.County", verbose_name=_("county"), on_delete=models.PROTECT, related_name="+",
    )
    township = models.ForeignKey(
        "villages.Township", verbose_name=_("township"), null=True, blank=True, on_delete=models.PROTECT, related_name="party_schools"
    )

    scope_path = "township"
    scope_null_visible = True
    county_path = "county"

    class Meta:
        verbose_name = _("party school")
        verbose_name_plural = _("party schools")
        ordering = ["level", "name"]
        constraints = [models.UniqueConstraint(fields=["county", "name"], name="partyschool_unique_name")]

    def __str__(self):
        return self.name

    def clean(self):
        if self.level != PartySchoolLevel.COUNTY and not self.township_id:
            raise ValidationError({"township": _("Choose the township of this party school or teaching point.")})


class Training(BaseModel):
    """A training course (high-quality farmers, composite talents, secretaries …). Trained people
    are the attendees who completed it."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=TrainingKind.choices)
    organizer = models.CharField(_("organizer"), max_length=100)
    county = models.ForeignKey(
        "villages.County", verbose_name=_("county"), on_delete=models.PROTECT, related_name="+",
    )
    party_school = models.ForeignKey(
        PartySchool, verbose_name=_("party school"), null=True, blank=True, on_delete=models.SET_NULL, related_name="trainings"
    )
    township = models.ForeignKey(
        "villages.Township", verbose_name=_("township"), null=True, blank=True, on_delete=models.PROTECT, related_name="trainings"
    )
    location = models.CharField(_("location"), max_length=200, blank=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    hours = models.PositiveSmallIntegerField(_("hours"), default=0)

    scope_path = "township"
    scope_null_visible = True
    county_path = "county"

    class Meta:
        verbose_name = _("training")
        verbose_name_plural = _("trainings")
        ordering = ["-start_date"]
        constraints = [date_order("training")]

    def __str__(self):
        return self.name

    def clean(self):
        check_date_range(self.start_date, self.end_date)


class TrainingAttendance(BaseModel):
    """A person's attendance of a training, and whether they completed it."""

    training = models.ForeignKey(Training, verbose_name=_("training"), on_delete=models.CASCADE, related_name="attendances")
    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="trainings")
    completed = models.BooleanField(_("completed"), default=True)
    certificate_no = models.CharField(_("certificate number"), max_length=40, blank=True)

    scope_path = "person__township"

    class Meta:
        verbose_name = _("training attendance")
        verbose_name_plural = _("training attendance")
        ordering = ["training", "person"]
        constraints = [models.UniqueConstraint(fields=["training", "person"], name="trainingattendance_unique")]

    def __str__(self):
        return f"{self.training} · {self.person}"


class Honour(BaseModel):
    """An honour given to a person ("good youth of every village", agri-tech model worker)."""

    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="honours")
    kind = models.CharField(_("kind"), max_length=20, choices=HonourKind.choices)
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    awarded_by = models.CharField(_("awarded by"), max_length=100, blank=True)

    scope_path = "person__township"

    class Meta:
        verbose_name = _("honour")
        verbose_name_plural = _("honours")
        ordering = ["-year", "kind"]
        constraints = [models.UniqueConstraint(fields=["person", "kind"], name="honour_unique")]

    def __str__(self):
        return f"{self.person} {self.get_kind_display()}"


class FirstSecretaryBatch(BaseModel):
    """A batch of first secretaries sent to villages (e.g. the 2021 batch, the 2024 batch)."""

    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    name = models.CharField(_("name"), max_length=100)
    county = models.ForeignKey(
        "villages.County", verbose_name=_("county"), on_delete=models.PROTECT, related_name="+",
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)

    county_path = "county"

    class Meta:
        verbose_name = _("first-secretary batch")
        verbose_name_plural = _("first-secretary batches")
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["county", "year"], name="firstsecretarybatch_unique_year"),
            date_order("firstsecretarybatch"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        check_date_range(self.start_date, self.end_date)


class FirstSecretaryAlliance(BaseModel):
    """The First Secretary Alliance (第一书记联盟): secretaries grouped to share resources."""

    name = models.CharField(_("name"), max_length=100)
    county = models.ForeignKey(
        "villages.County", verbose_name=_("county"), on_delete=models.PROTECT, related_name="+",
    )
    founded_on = models.DateField(_("founded on"))

    county_path = "county"

    class Meta:
        verbose_name = _("first-secretary alliance")
        verbose_name_plural = _("first-secretary alliances")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["county", "name"], name="fsalliance_unique_name")]

    def __str__(self):
        return self.name


class SubAlliance(BaseModel):
    """A numbered sub-alliance (分盟) of the First Secretary Alliance, usually one zone's secretaries."""

    alliance = models.ForeignKey(
        FirstSecretaryAlliance, verbose_name=_("first-secretary alliance"), on_delete=models.CASCADE, related_name="sub_alliances"
    )
    number = models.PositiveSmallIntegerField(_("number"), validators=[MinValueValidator(1)])
    name = models.CharField(_("name"), max_length=100)
    focus = models.CharField(_("focus"), max_length=200, blank=True)

    county_path = "alliance__county"

    class Meta:
        verbose_name = _("sub-alliance")
        verbose_name_plural = _("sub-alliances")
        ordering = ["alliance", "number"]
        constraints = [models.UniqueConstraint(fields=["alliance", "number"], name="suballiance_unique")]

    def __str__(self):
        return self.name


class FirstSecretary(BaseModel):
    """A first secretary (驻村第一书记) sent by a county unit to live in a village for a batch's term."""

    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="first_secretary_terms")
    batch = models.ForeignKey(FirstSecretaryBatch, verbose_name=_("batch"), on_delete=models.PROTECT, related_name="secretaries")
    village = models.ForeignKey(
        "villages.Village", verbose_name=_("village"), on_delete=models.PROTECT, related_name="first_secretaries"
    )
    sending_unit = models.CharField(_("sending unit"), max_length=100)
    sub_alliance = models.ForeignKey(
        SubAlliance, verbose_name=_("sub-alliance"), null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)

    scope_path = "village__township"

    class Meta:
        verbose_name = _("first secretary")
        verbose_name_plural = _("first secretaries")
        ordering = ["batch", "village"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "village"], name="firstsecretary_unique"),
            date_order("firstsecretary"),
        ]

    def __str__(self):
        return f"{self.person}（{self.village}）"

    def clean(self):
        check_date_range(self.start_date, self.end_date)


class FirstSecretaryAttendance(BaseModel):
    """A first secretary's attendance (考勤) for one month: days required and days present."""

    secretary = models.ForeignKey(FirstSecretary, verbose_name=_("first secretary"), on_delete=models.CASCADE, related_name="attendance")
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    days_required = models.PositiveSmallIntegerField(_("days required"), validators=[MaxValueValidator(31)])
    days_present = models.PositiveSmallIntegerField(_("days present"), validators=[MaxValueValidator(31)])

    scope_path = "secretary__village__township"

    class Meta:
        verbose_name = _("first-secretary attendance")
        verbose_name_plural = _("first-secretary attendance")
        ordering = ["secretary", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["secretary", "month"], name="fsattendance_unique"),
            models.CheckConstraint(condition=Q(days_present__lte=models.F("days_required")), name="fsattendance_present_le"),
        ]

    def __str__(self):
        return f"{self.secretary} {self.month:%Y-%m}"

    def clean(self):
        if self.month and self.month.day != 1:
            self.month = self.month.replace(day=1)
        if self.days_present is not None and self.days_required is not None and self.days_present > self.days_required:
            raise ValidationError({"days_present": _("Days present cannot exceed days required.")})


class FirstSecretaryEvaluation(BaseModel):
    """A first secretary's yearly evaluation (考核)."""

    secretary = models.ForeignKey(FirstSecretary, verbose_name=_("first secretary"), on_delete=models.CASCADE, related_name="evaluations")
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    grade = models.CharField(_("grade"), max_length=16, choices=EvaluationGrade.choices)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=1, validators=[MinValueValidator(0), MaxValueValidator(100)])
    remarks = models.TextField(_("remarks"), blank=True)

    scope_path = "secretary__village__township"

    class Meta:
        verbose_name = _("first-secretary evaluation")
        verbose_name_plural = _("first-secretary evaluations")
        ordering = ["secretary", "-year"]
        constraints = [models.UniqueConstraint(fields=["secretary", "year"], name="fsevaluation_unique")]

    def __str__(self):
        return f"{self.secretary} {self.year}"
