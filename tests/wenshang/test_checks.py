"""A row's check constraints decided in Python (``wenshang.kernel.checks``) decide as the database
does: every check of the project is one Python reads, and on rows that keep or break each of them
the answer is the one of Django's query (``CheckConstraint.validate``), NULLs letting it pass."""
import datetime as dt
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models

from alliances.models import AllianceEvaluation
from finance.models import Loan
from grids.models import CreditRecord
from villages.models import CollectiveIncome, SurveyVisit, Target
from wenshang.kernel import checks

pytestmark = pytest.mark.django_db


def project_checks():
    for model in apps.get_models():
        for constraint in model._meta.constraints:
            if isinstance(constraint, models.CheckConstraint):
                yield model, constraint


def test_python_reads_every_check_of_the_project():
    found = list(project_checks())
    assert len(found) > 20
    for model, constraint in found:
        checks.holds(constraint.condition, model(), model)  # raises Unsupported if not (empty rows: unknown or decided)


def by_query(model, constraint, obj):
    try:
        constraint.validate(model, obj)
    except ValidationError:
        return False
    return True


CASES = [
    (Loan, {"amount": Decimal("0"), "interest_subsidy": Decimal("-1"), "risk_compensation": Decimal("0"),
            "granted_on": dt.date(2024, 3, 1), "due_on": dt.date(2024, 2, 1)}),
    (Loan, {"amount": Decimal("0.01"), "interest_subsidy": Decimal("0"), "risk_compensation": Decimal("5"),
            "granted_on": dt.date(2024, 3, 1), "due_on": None}),
    (Loan, {"amount": None, "interest_subsidy": None, "risk_compensation": None, "granted_on": None, "due_on": dt.date(2024, 1, 1)}),
    (CreditRecord, {"points": 0}), (CreditRecord, {"points": -3}),
    (CollectiveIncome, {"operating": Decimal("10"), "amount": Decimal("9")}),
    (CollectiveIncome, {"operating": Decimal("9"), "amount": Decimal("9")}),
    (Target, {"value": Decimal("-1"), "village_id": 1, "township_id": None}),
    (Target, {"value": Decimal("0"), "village_id": None, "township_id": None}),
    (AllianceEvaluation, {"score": Decimal("101")}), (AllianceEvaluation, {"score": Decimal("100")}),
    (SurveyVisit, {f"rating_{k}": 5 for k in ("organization", "industry", "talent", "governance", "environment")}),
    (SurveyVisit, {f"rating_{k}": 1 if k != "environment" else 6 for k in ("organization", "industry", "talent", "governance",
                                                                           "environment")}),
]


@pytest.mark.parametrize("model,values", CASES, ids=[f"{m.__name__}-{i}" for i, (m, _) in enumerate(CASES)])
def test_python_decides_as_the_database(model, values):
    obj = model(**values)
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.CheckConstraint):
            python = checks.holds(constraint.condition, obj, model)
            assert (python is not False) == by_query(model, constraint, obj), constraint.name


def test_a_broken_check_is_refused_without_a_query(django_assert_num_queries, township_a):
    loan = Loan(kind="project", bank="农商银行", borrower_name="甲", township=township_a, amount=Decimal("0"),
                annual_rate=Decimal("4"), term_months=12, granted_on=dt.date(2024, 3, 1), due_on=dt.date(2024, 2, 1))
    with django_assert_num_queries(0):
        with pytest.raises(ValidationError) as raised:
            loan.validate_constraints(exclude={"township", "village", "project", "homestead", "contract_number"})
    assert len(raised.value.messages) == 2  # the amount and the dates
