"""The finance app's figures (see ``wenshang.web.figures``): loans, homesteads, land, the banks' reports."""
from wenshang.web.figures import Metric

from .choices import STARTUP_KINDS, HomesteadUse, LoanKind

_granted = {"date": "granted_on", "village_path": "village", "plural": "loans",
            "period_params": ("granted_after", "granted_before")}
_land = {"date": "date", "township_path": "village__township", "village_path": "village",
         "plural": "land-transactions", "period_params": ("date_after", "date_before")}
_homestead = {"date": "surveyed_on", "township_path": "village__township", "village_path": "village",
              "plural": "homesteads"}
_startup = tuple(("kind_in", k.value) for k in STARTUP_KINDS)
_per_borrower = (("one_per_borrower", "true"),)
_credit = {"kind": LoanKind.HOMESTEAD_CREDIT}

METRICS = [
    Metric("homestead_parcels", "finance.Homestead", **_homestead),
    Metric("finance_vice_mayors", "finance.FinanceViceMayor", date="start_date", plural="finance-vice-mayors"),
    Metric("project_loans", "finance.Loan", {"kind": LoanKind.PROJECT}, "sum:amount", unit="yuan",
           params=(("kind", LoanKind.PROJECT.value),), **_granted),
    Metric("agri_loan_balance", "finance.AgriLoanReport", agg="latest_quarter:balance", township_path=None,
           unit="yuan", county_only=True, plural="agri-loan-reports"),
    Metric("agri_loan_growth_pct", "finance.AgriLoanReport", agg="latest_quarter:balance", township_path=None,
           unit="percent", county_only=True, plural="agri-loan-reports"),
    Metric("homestead_credit_households", "finance.Loan", _credit, "distinct:borrower_id_number",
           params=(("kind", LoanKind.HOMESTEAD_CREDIT.value), *_per_borrower), **_granted),
    Metric("homestead_credit_amount", "finance.Loan", _credit, "sum:amount", unit="yuan",
           params=(("kind", LoanKind.HOMESTEAD_CREDIT.value),), **_granted),
    Metric("land_transactions", "finance.LandTransaction", **_land),
    Metric("land_transactions_area", "finance.LandTransaction", agg="sum:area_mu", unit="mu", **_land),
    Metric("land_transactions_income", "finance.LandTransaction", agg="sum:price", unit="yuan", **_land),
    Metric("startup_loans_amount", "finance.Loan", {"kind__in": STARTUP_KINDS}, "sum:amount", unit="yuan",
           params=_startup, **_granted),
    Metric("startup_loans_people", "finance.Loan", {"kind__in": STARTUP_KINDS}, "distinct:borrower_id_number",
           params=_startup + _per_borrower, **_granted),
    # the annual targets, the quarterly report, the village profile and the map
    Metric("loans_granted", "finance.Loan", **_granted),
    Metric("loans_amount", "finance.Loan", agg="sum:amount", unit="yuan", **_granted),
    Metric("homestead_area", "finance.Homestead", agg="sum:area", unit="m2", **_homestead),
    Metric("homestead_idle", "finance.Homestead", {"use": HomesteadUse.IDLE}, params=(("use", HomesteadUse.IDLE.value),),
           **_homestead),
]
