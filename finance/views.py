"""The finance pages (industry chain): list, detail, add, edit and delete of every finance record.

Lists whose records are named by one field (a parcel code, a contract number) lead with that field,
linked to the record. Records named by several fields (a loan: borrower, kind, amount) lead with
their name in its own column (the ``"__str__"`` column).

Township staff keep their township's finance records; the finance department editor keeps them
county-wide; the banks' agriculture-loan reports are county level (county administrators and the
finance editor). ID and mobile numbers are masked unless the user may see them.
"""
from wenshang.web.portal import ModelViews

from . import filters, forms
from .models import AgriLoanReport, FinanceViceMayor, Homestead, LandTransaction, Loan


class FinanceViceMayorViews(ModelViews):
    model = FinanceViceMayor
    plural = "finance-vice-mayors"
    chain = "industry"
    filterset_class = filters.FinanceViceMayorFilterSet
    form_class = forms.FinanceViceMayorForm
    columns = ("__str__", "township", "phone", "start_date", "end_date")
    select_related = ("township",)


class LoanViews(ModelViews):
    model = Loan
    plural = "loans"
    chain = "industry"
    filterset_class = filters.LoanFilterSet
    form_class = forms.LoanForm
    columns = ("__str__", "kind", "amount", "bank", "township", "village", "granted_on", "due_on", "status")
    select_related = ("township", "village")
    api_bulk = True
    api_natural_key = ("bank", "contract_number")  # a bank's system names its loans by contract


class AgriLoanReportViews(ModelViews):
    model = AgriLoanReport
    plural = "agri-loan-reports"
    chain = "industry"
    filterset_class = filters.AgriLoanReportFilterSet
    columns = ("__str__", "balance",)


class HomesteadViews(ModelViews):
    """199,900 parcels on the demo county: the default order is the unique parcel code (an index),
    the rows load their village only, and the search picks an indexed lookup when it can."""

    model = Homestead
    big = True  # 199,900 parcels on the demo county, ten times that in a city: keyset pages
    # A parcel code begins with its village's code (``Homestead.clean``): by village, then parcel code,
    # is the parcel codes' order, and a township's (or a county's) first page reads its own villages.
    list_ordering = ("village", "parcel_code")
    plural = "homesteads"
    chain = "industry"
    filterset_class = filters.HomesteadFilterSet
    form_class = forms.HomesteadForm
    columns = ("parcel_code", "holder_name", "holder_id_number", "village", "area", "use", "surveyed_on")
    select_related = ("village",)
    related = ("loans",)
    api_bulk = True
    api_natural_key = ("parcel_code",)


class LandTransactionViews(ModelViews):
    model = LandTransaction
    plural = "land-transactions"
    chain = "industry"
    filterset_class = filters.LandTransactionFilterSet
    form_class = forms.LandTransactionForm
    columns = ("contract_no", "village", "date", "area_mu", "price", "buyer", "use")
    select_related = ("village",)
