"""Writes with rules for the grids app."""
from django.db import transaction
from django.db.models import F, Sum

from wenshang.services import delete_scoped, save_scoped

from .models import CreditRecord, Household


def add_credit_record(*, user, household, date, category, points, reason):
    """Record points for a household and update its total (the village ranking reads the total)."""
    with transaction.atomic():
        record = save_scoped(
            CreditRecord(household=household, date=date, category=category, points=points, reason=reason), user=user
        )
        Household.objects.filter(pk=household.pk).update(credit_points=F("credit_points") + points)
    household.refresh_from_db(fields=["credit_points"])
    return record


def delete_credit_record(*, user, record):
    with transaction.atomic():
        delete_scoped(record, user=user)
        recount_points(record.household_id)


def recount_points(household_id):
    """Set a household's total from its records (after edits or imports)."""
    total = CreditRecord.objects.filter(household_id=household_id).aggregate(total=Sum("points"))["total"] or 0
    Household.objects.filter(pk=household_id).update(credit_points=total)
    return total


def village_ranking(village):
    """The village's credit households, best first, with their rank (ties share a rank)."""
    households = list(Household.objects.filter(grid__village=village).select_related("grid").order_by("-credit_points", "head_name"))
    rank, previous = 0, None
    for position, household in enumerate(households, start=1):
        if household.credit_points != previous:
            rank, previous = position, household.credit_points
        household.rank = rank
    return households
