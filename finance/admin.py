from django.contrib import admin

from wenshang.web.admin import ScopedModelAdmin, masked_id, masked_phone

from .models import AgriLoanReport, FinanceViceMayor, Homestead, LandTransaction, Loan


@admin.register(FinanceViceMayor)
class FinanceViceMayorAdmin(ScopedModelAdmin):
    list_display = ("name", "bank", "township", masked_phone("phone", FinanceViceMayor), "start_date", "end_date")
    list_filter = ("township", "bank")
    list_select_related = ("township",)
    search_fields = ("name", "bank", "phone")


@admin.register(Homestead)
class HomesteadAdmin(ScopedModelAdmin):
    """199,900 parcels: indexed searches (parcel code prefix, exact ID number), no full counts."""

    list_display = (
        "parcel_code",
        "holder_name",
        masked_id("holder_id_number", Homestead),
        "village",
        "area",
        "use",
        "built_year",
        "surveyed_on",
    )
    list_filter = ("use", "village__township")
    list_select_related = ("village",)
    search_fields = ("^parcel_code", "=holder_id_number", "certificate_no", "holder_name")
    autocomplete_fields = ("village",)


@admin.register(Loan)
class LoanAdmin(ScopedModelAdmin):
    list_display = (
        "borrower_name",
        masked_id("borrower_id_number", Loan),
        "kind",
        "bank",
        "amount",
        "township",
        "village",
        "granted_on",
        "due_on",
        "status",
    )
    list_filter = ("kind", "status", "township", "bank")
    list_select_related = ("township", "village")
    search_fields = ("borrower_name", "=borrower_id_number", "borrower_phone", "bank")
    autocomplete_fields = ("village", "project")
    raw_id_fields = ("homestead",)
    date_hierarchy = "granted_on"


@admin.register(AgriLoanReport)
class AgriLoanReportAdmin(ScopedModelAdmin):
    list_display = ("bank", "year", "quarter", "balance")
    list_filter = ("year", "quarter", "bank")
    search_fields = ("bank",)


@admin.register(LandTransaction)
class LandTransactionAdmin(ScopedModelAdmin):
    list_display = ("contract_no", "village", "date", "area_mu", "price", "buyer", "use", "term_years")
    list_filter = ("use", "village__township")
    list_select_related = ("village",)
    search_fields = ("contract_no", "buyer", "village__name", "village__code")
    autocomplete_fields = ("village",)
    date_hierarchy = "date"
