"""Read queries of the alliances app (HackSoft style: reads here, writes in ``services``)."""
from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import DecimalField, Q, Sum
from django.db.models.functions import Coalesce

from .choices import FundEntryKind
from .models import Alliance, FundEntry


def fund_balances(*, alliances: Iterable[Alliance | int]) -> dict[int, Decimal]:
    """{alliance id: balance} of the funds of these alliances (objects, ids or a queryset), in one query.
    An alliance with no entry is absent (its balance is 0)."""
    zero = DecimalField(max_digits=18, decimal_places=2)
    rows = (
        FundEntry.objects.filter(alliance__in=alliances)
        .values("alliance")
        .annotate(
            inflow=Coalesce(Sum("amount", filter=Q(kind=FundEntryKind.CONTRIBUTION)), 0, output_field=zero),
            outflow=Coalesce(Sum("amount", filter=Q(kind=FundEntryKind.DISBURSEMENT)), 0, output_field=zero),
        )
        .order_by()
    )
    return {row["alliance"]: row["inflow"] - row["outflow"] for row in rows}
