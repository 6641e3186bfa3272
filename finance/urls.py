from . import views

app_name = "finance"

urlpatterns = [
    *views.FinanceViceMayorViews.urls(),
    *views.LoanViews.urls(),
    *views.AgriLoanReportViews.urls(),
    *views.HomesteadViews.urls(),
    *views.LandTransactionViews.urls(),
]
