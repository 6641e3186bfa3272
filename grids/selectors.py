"""Read queries of the grids app (HackSoft style: reads here, writes in ``services``)."""
from __future__ import annotations

from typing import Any

from villages.models import Village

from .models import Household


def village_ranking(*, village: Village, user: Any = None) -> list[Household]:
    """The village's credit households, best first, each with its ``rank`` (ties share a rank).
    With ``user``, only the households that user may read."""
    households = Household.objects.filter(grid__village=village)
    if user is not None:
        households = households.restrict(user, "view")
    ranked = list(households.select_related("grid").order_by("-credit_points", "head_name"))
    rank, previous = 0, None
    for position, household in enumerate(ranked, start=1):
        if household.credit_points != previous:
            rank, previous = position, household.credit_points
        household.rank = rank
    return ranked
