"""Finance vice-mayors, loans, banks' agriculture-loan reports, homestead parcels and land transactions."""
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from villages.choices import Quarter
from wenshang.kernel.fields import AreaField, IdNumberField, MobileField, MoneyField, date_order, non_negative, positive
from wenshang.kernel.models import BaseModel
from wenshang.kernel.validators import check_date_range

from .choices import HomesteadUse, LandUse, LoanKind, LoanStatus


class FinanceViceMayor(BaseModel):
    """A bank employee seconded to a township as vice-mayor for finance (金融挂职副镇长)."""

    name = models.CharField(_("full name"), max_length=50)
    bank = models.CharField(_("bank"), max_length=100)
    township = models.ForeignKey(
        "villages.Township", verbose_name=_("township"), on_delete=models.PROTECT, related_name="finance_vice_mayors"
    )
    phone = MobileField()
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)

    scope_path = "township"

    class Meta:
        verbose_name = _("finance vice-mayor")
        verbose_name_plural = _("finance vice-mayors")
        ordering = ["township", "start_date"]
        constraints = [date_order("financevicemayor")]

    def __str__(self):
        return f"{self.name}（{self.bank}）"

    def clean(self):
        check_date_range(self.start_date, self.end_date)


class Homestead(BaseModel):
    """A registered rural housing plot (宅基地). ``parcel_code`` is the 19-character cadastral code
    (宗地代码): county 6 + township 3 + village 3 + ``JC`` + 5 digits, and the natural key of imports."""

    village = models.ForeignKey("villages.Village", verbose_name=_("village"), on_delete=models.PROTECT, related_name="homesteads")
    parcel_code = models.CharField(_("parcel code"), max_length=19, unique=True)
    certificate_no = models.CharField(_("certificate number"), max_length=40, blank=True)
    holder_name = models.CharField(_("holder"), max_length=50)
    holder_id_number = IdNumberField(_("holder's ID number"))
    area = AreaField(_("area (m²)"), max_digits=10)
    use = models.CharField(_("use"), max_length=10, choices=HomesteadUse.choices, default=HomesteadUse.OCCUPIED)
    built_year = models.PositiveSmallIntegerField(
        _("year built"), null=True, blank=True, validators=[MinValueValidator(1900), MaxValueValidator(2100)]
    )
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    surveyed_on = models.DateField(_("surveyed on"))

    scope_path = "village__township"

    class Meta:
        verbose_name = _("homestead parcel")
        verbose_name_plural = _("homestead parcels")
        ordering = ["parcel_code"]
        constraints = [*positive("homestead", "area")]
        indexes = [models.Index(fields=["village", "use"], name="homestead_village_use_idx")]

    def __str__(self):
        return self.parcel_code

    def clean(self):
        code = self.parcel_code or ""
        if self.village_id and not (
            len(code) == 19 and code[:12] == self.village.code and code[12:14] == "JC" and code[14:].isdigit()
        ):
            raise ValidationError(
                {
                    "parcel_code": _("A parcel code is the village code %(code)s, JC and 5 digits.")
                    % {"code": self.village.code}
                }
            )


class Loan(BaseModel):
    """A loan of one of the portal's kinds. Borrowers are people (ID number) or, for project loans,
    enterprises or village collectives (named only). Homestead credit is secured on a parcel.
    ``interest_subsidy`` and ``risk_compensation`` are the public money that went with it."""

    kind = models.CharField(_("kind"), max_length=20, choices=LoanKind.choices)
    bank = models.CharField(_("bank"), max_length=100)
    contract_number = models.CharField(
        _("contract number"), max_length=50, blank=True,
        help_text=_("The bank's number of the loan contract, unique within the bank: how the bank's system names the loan."))
    borrower_name = models.CharField(_("borrower"), max_length=100)
    borrower_id_number = IdNumberField(_("borrower's ID number"), blank=True)
    borrower_phone = MobileField(_("borrower's mobile number"))
    township = models.ForeignKey("villages.Township", verbose_name=_("township"), on_delete=models.PROTECT, related_name="loans")
    village = models.ForeignKey(
        "villages.Village", verbose_name=_("village"), null=True, blank=True, on_delete=models.PROTECT, related_name="loans"
    )
    project = models.ForeignKey(
        "villages.Project", verbose_name=_("project"), null=True, blank=True, on_delete=models.SET_NULL, related_name="loans"
    )
    homestead = models.ForeignKey(
        Homestead, verbose_name=_("homestead parcel pledged"), null=True, blank=True, on_delete=models.PROTECT, related_name="loans"
    )
    amount = MoneyField(_("amount (yuan)"))
    annual_rate = models.DecimalField(
        _("annual rate (%)"), max_digits=5, decimal_places=2, validators=[MinValueValidator(0), MaxValueValidator(36)]
    )
    term_months = models.PositiveSmallIntegerField(_("term (months)"), validators=[MinValueValidator(1)])
    granted_on = models.DateField(_("granted on"))
    due_on = models.DateField(_("due on"))
    status = models.CharField(_("status"), max_length=10, choices=LoanStatus.choices, default=LoanStatus.GRANTED)
    period_open_fields = ("status",)  # a loan of a locked quarter is still repaid (or overdue) later
    interest_subsidy = MoneyField(_("interest subsidy (yuan)"))
    risk_compensation = MoneyField(_("risk compensation (yuan)"))

    scope_path = "township"

    class Meta:
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        ordering = ["-granted_on", "pk"]
        constraints = [
            *positive("loan", "amount"),
            *non_negative("loan", "interest_subsidy", "risk_compensation"),
            date_order("loan", "granted_on", "due_on"),
            models.UniqueConstraint(fields=["bank", "contract_number"], condition=~models.Q(contract_number=""),
                                    name="loan_contract_unique_per_bank",
                                    violation_error_message=_("This bank already has a loan with this contract number.")),
        ]
        indexes = [models.Index(fields=["kind", "granted_on"], name="loan_kind_date_idx")]

    def __str__(self):
        return f"{self.borrower_name} {self.get_kind_display()} {self.amount}"

    def clean(self):
        errors = {}
        if self.amount is not None and self.amount <= 0:
            errors["amount"] = _("The amount must be greater than zero.")
        try:
            check_date_range(self.granted_on, self.due_on, "due_on")
        except ValidationError as exc:
            errors.update(exc.message_dict)
        if self.village_id and self.township_id and self.village.township_id != self.township_id:
            errors["village"] = _("The village must belong to the loan's township.")
        if self.homestead_id and self.village_id and self.homestead.village_id != self.village_id:
            errors["homestead"] = _("The pledged parcel must lie in the loan's village.")
        elif self.homestead_id and self.township_id and self.homestead.village.township_id != self.township_id:
            errors["homestead"] = _("The pledged parcel must lie in the loan's township.")
        if self.project_id and self.township_id and self.project.township_id != self.township_id:
            errors["project"] = _("The project must belong to the loan's township.")
        if self.kind == LoanKind.HOMESTEAD_CREDIT:
            if not self.homestead_id:
                errors["homestead"] = _("Choose the homestead parcel pledged for this homestead credit.")
            if not self.borrower_id_number:
                errors["borrower_id_number"] = _("Homestead credit needs the borrower's ID number.")
        if self.kind in (LoanKind.STARTUP_GUARANTEE, LoanKind.LUQING) and not self.borrower_id_number:
            errors["borrower_id_number"] = _("Entrepreneurship and Luqing loans need the borrower's ID number.")
        if errors:
            raise ValidationError(errors)


class AgriLoanReport(BaseModel):
    """A bank's agriculture-related loan balance (涉农贷款余额) at the end of a quarter.

    Reported by the banks, not a sum of single loans (an aggregate value as in DHIS2): the county
    figure is the total of the latest quarter, its growth is measured against the first quarter.
    """

    bank = models.CharField(_("bank"), max_length=100)
    county = models.ForeignKey(
        "villages.County", verbose_name=_("county"), on_delete=models.PROTECT, related_name="+",
    )
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    quarter = models.PositiveSmallIntegerField(_("quarter"), choices=Quarter.choices)
    balance = MoneyField(_("balance (yuan)"))

    county_path = "county"

    class Meta:
        verbose_name = _("agriculture loan report")
        verbose_name_plural = _("agriculture loan reports")
        ordering = ["-year", "-quarter", "bank"]
        constraints = [
            models.UniqueConstraint(fields=["county", "bank", "year", "quarter"], name="agriloanreport_unique"),
            *non_negative("agriloanreport", "balance"),
        ]

    def __str__(self):
        return f"{self.bank} {self.year}Q{self.quarter}"


class LandTransaction(BaseModel):
    """A market transaction of collective construction land (集体经营性建设用地入市)."""

    village = models.ForeignKey(
        "villages.Village", verbose_name=_("village"), on_delete=models.PROTECT, related_name="land_transactions"
    )
    contract_no = models.CharField(_("contract number"), max_length=40, unique=True)
    date = models.DateField(_("date"))
    area_mu = AreaField(_("area (mu)"))
    price = MoneyField(_("price (yuan)"))
    buyer = models.CharField(_("buyer"), max_length=200)
    use = models.CharField(_("use"), max_length=16, choices=LandUse.choices)
    term_years = models.PositiveSmallIntegerField(_("term (years)"), validators=[MinValueValidator(1), MaxValueValidator(70)])

    scope_path = "village__township"

    class Meta:
        verbose_name = _("land transaction")
        verbose_name_plural = _("land transactions")
        ordering = ["-date"]
        constraints = [*positive("landtransaction", "area_mu", "price")]

    def __str__(self):
        return self.contract_no


