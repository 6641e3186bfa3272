"""The factories of the finance app's entities (collected by ``tests.factories``: use
``make(Model, township, n)`` from there): the builders of the view tests (``test_views``' helper
functions and the ``make()`` of its ``ModelViewTests`` subclasses). Add the factory of a new
finance entity to ``FACTORIES``."""
from finance import models as fm
from tests.factory_helpers import made_by
from tests.finance import test_views as finance_tests

FACTORIES = {
    fm.FinanceViceMayor: made_by(finance_tests.TestFinanceViceMayorViews),
    fm.Loan: finance_tests.loan,
    fm.AgriLoanReport: made_by(finance_tests.TestAgriLoanReportViews),
    fm.Homestead: finance_tests.homestead,
    fm.LandTransaction: made_by(finance_tests.TestLandTransactionViews),
}
