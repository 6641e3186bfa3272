"""Field and constraint helpers so every model states money, areas and codes the same way."""
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wenshang.kernel.validators import (
    DivisionCodeValidator,
    validate_credit_code,
    validate_id_number,
    validate_mobile,
    validate_non_negative,
    validate_positive,
)


def MoneyField(verbose_name, **kwargs):
    """Yuan as Decimal with 2 places, never negative."""
    kwargs.setdefault("max_digits", 18)
    kwargs.setdefault("decimal_places", 2)
    kwargs.setdefault("default", 0)
    return models.DecimalField(verbose_name, validators=[validate_non_negative], **kwargs)


def AreaField(verbose_name, **kwargs):
    """An area (m² or mu), Decimal with 2 places, greater than zero."""
    kwargs.setdefault("max_digits", 12)
    kwargs.setdefault("decimal_places", 2)
    return models.DecimalField(verbose_name, validators=[validate_positive], **kwargs)


def IdNumberField(verbose_name=_("national ID number"), **kwargs):
    return models.CharField(verbose_name, max_length=18, validators=[validate_id_number], **kwargs)


def CreditCodeField(verbose_name=_("unified social credit code"), **kwargs):
    return models.CharField(verbose_name, max_length=18, validators=[validate_credit_code], **kwargs)


def MobileField(verbose_name=_("mobile number"), **kwargs):
    kwargs.setdefault("blank", True)
    return models.CharField(verbose_name, max_length=11, validators=[validate_mobile], **kwargs)


def DivisionCodeField(verbose_name, length, **kwargs):
    return models.CharField(verbose_name, max_length=length, validators=[DivisionCodeValidator(length)], **kwargs)


def non_negative(model_name, *fields):
    """Database check constraints: each field >= 0."""
    return [
        models.CheckConstraint(condition=Q(**{f"{f}__gte": 0}), name=f"{model_name}_{f}_non_negative") for f in fields
    ]


def positive(model_name, *fields):
    return [models.CheckConstraint(condition=Q(**{f"{f}__gt": 0}), name=f"{model_name}_{f}_positive") for f in fields]


def date_order(model_name, start="start_date", end="end_date"):
    """Database check: the end date is empty or not before the start date."""
    return models.CheckConstraint(
        condition=Q(**{f"{end}__isnull": True}) | Q(**{f"{end}__gte": models.F(start)}),
        name=f"{model_name}_{end}_after_{start}",
    )
