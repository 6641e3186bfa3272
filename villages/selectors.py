"""Read queries of the villages app (HackSoft style: reads here, writes in ``services``)."""
from __future__ import annotations

from .models import TierChange, Village


def latest_tier_change(*, village: Village) -> TierChange | None:
    """The village's latest tier change (by date, then by order of entry), or None."""
    return TierChange._base_manager.filter(village_id=village.pk).order_by("-date", "-pk").first()
