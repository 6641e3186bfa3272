"""Forms of the finance pages.

A loan's pledged homestead parcel (199,900 of them) is chosen by search-as-you-type
(``wenshang.web.forms.LookupField``) by its parcel code or holder, or typed as its full 19-character
code, among the parcels the user may read. ID and mobile numbers
are masked in the forms as on the other pages (``wenshang.web.forms.PortalModelForm``).
"""
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from wenshang.web.forms import LookupField, PortalModelForm

from .models import FinanceViceMayor, Homestead, LandTransaction, Loan

PARCEL_RE = re.compile(r"^\d{12}JC\d{5}$")


class HomesteadField(LookupField):
    """A homestead parcel, named by its parcel code (宗地代码): village code, ``JC``, 5 digits."""

    key = "parcel_code"
    default_error_messages = {
        "not_found": _("No homestead parcel with the code %(value)s."),
        "other_township": _(
            "Parcel %(value)s lies in another township; you may pledge only parcels of %(township)s."
        ),
    }

    def __init__(self, queryset, **kwargs):
        kwargs["help_text"] = kwargs.get("help_text") or _("Type the parcel code (e.g. 370830104201JC00001) or the holder and choose the parcel.")
        super().__init__(queryset, **kwargs)

    def check_format(self, value):
        if not PARCEL_RE.match(value):
            raise ValidationError(
                _("A parcel code has 19 characters: the 12-digit village code, JC and 5 digits."), code="parcel_format"
            )

    def not_found(self, value):
        # The code says its township (digits 1–9): say so rather than "not found" when it is not
        # the user's, without telling whether such a parcel exists there.
        township = getattr(self.user, "township", None)
        if township is not None and not value.startswith(township.code):
            return ValidationError(
                self.error_messages["other_township"], code="other_township", params={"value": value, "township": township}
            )
        return super().not_found(value)


class FinanceViceMayorForm(PortalModelForm):
    class Meta:
        model = FinanceViceMayor
        fields = "__all__"


class HomesteadForm(PortalModelForm):
    class Meta:
        model = Homestead
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parcel_code"].widget.attrs.update({"placeholder": "370830104201JC00001", "autocapitalize": "characters"})


class LoanForm(PortalModelForm):
    class Meta:
        model = Loan
        fields = "__all__"
        field_classes = {"homestead": HomesteadField}


class LandTransactionForm(PortalModelForm):
    class Meta:
        model = LandTransaction
        fields = "__all__"
