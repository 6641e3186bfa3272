import re

import django_filters
from django.db.models import Min, Q
from django.utils.translation import gettext_lazy as _

from wenshang.kernel.validators import ID_RE
from wenshang.web.filters import PortalFilterSet, date_range, township_filter, village_filter

from .choices import LoanKind
from .models import AgriLoanReport, FinanceViceMayor, Homestead, LandTransaction, Loan

PARCEL_PREFIX_RE = re.compile(r"^\d{6,12}(J|JC\d{0,5})?$")


class FinanceViceMayorFilterSet(PortalFilterSet):
    search_fields = ("name", "bank")

    class Meta:
        model = FinanceViceMayor
        fields = ["q", "township"]


class LoanFilterSet(PortalFilterSet):
    search_fields = ("borrower_name", "borrower_id_number__exact", "contract_number__exact", "bank", "homestead__parcel_code__startswith")
    kind_in = django_filters.MultipleChoiceFilter(field_name="kind", choices=LoanKind.choices, label=_("kinds"))
    village = village_filter()
    granted_after, granted_before = date_range("granted_on")
    # Declared last, so it sees the rows the other filters kept: the first loan of each borrower
    # among them (a list of borrowers: "146 households", "1,727 people").
    one_per_borrower = django_filters.BooleanFilter(method="filter_one_per_borrower", label=_("one row per borrower"))

    def filter_one_per_borrower(self, queryset, name, value):
        if not value:
            return queryset
        first = queryset.order_by().values("borrower_id_number").annotate(first=Min("pk")).values("first")
        return queryset.filter(pk__in=first)

    class Meta:
        model = Loan
        fields = ["q", "township", "kind", "status"]


class AgriLoanReportFilterSet(PortalFilterSet):
    search_fields = ("bank",)

    class Meta:
        model = AgriLoanReport
        fields = ["q", "year", "quarter"]


class HomesteadFilterSet(PortalFilterSet):
    """199,900 parcels: the search uses one indexed lookup when the text says what it is (a parcel
    code or its prefix, a full ID number) and scans names and certificate numbers otherwise."""

    search_fields = ("parcel_code__startswith", "holder_id_number__exact", "holder_name", "certificate_no")
    township = township_filter("village__township")
    village = village_filter()

    class Meta:
        model = Homestead
        fields = ["q", "township", "village", "use"]

    def search(self, queryset, name, value):
        value = value.strip()
        code = value.upper()
        if PARCEL_PREFIX_RE.match(code):
            return queryset.filter(parcel_code__startswith=code)
        if ID_RE.match(code):
            return queryset.filter(holder_id_number=code)
        if not value:
            return queryset
        return queryset.filter(Q(holder_name__icontains=value) | Q(certificate_no__icontains=value))


class LandTransactionFilterSet(PortalFilterSet):
    search_fields = ("contract_no", "buyer", "village__name", "village__code__startswith")
    township = township_filter("village__township")
    village = village_filter()
    date_after, date_before = date_range("date")

    class Meta:
        model = LandTransaction
        fields = ["q", "township", "use"]
