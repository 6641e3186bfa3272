"""Writes with rules for the villages app (shared by the portal's forms, imports, the API and commands).

A village's tier (强基 / 创优 / 示范) changes only through ``change_tier``: the change is recorded
(date, tier before and after, reason, who decided) and ``Village.tier`` follows it, in one
transaction, both written with ``save_scoped`` so the user's scope holds for both rows and the
change log names who made them.

The tier history is a chain: each change's "tier before" is the tier after the previous one, and
the village's current tier is the tier after its latest change. Two rules keep it so:

- **No back-dated changes.** A change dated before the village's latest recorded change is
  refused (``ValidationError`` on ``date``): it would either overwrite the current tier with an
  older one, or — recorded without touching the tier — break the chain (its "tier before" would be
  today's tier, not the tier of that date). A change on the same day as the latest one is
  accepted and comes after it. Correcting old history is an administrator's job in the admin.
- **Edits do not move tiers.** Once recorded, a change's village, date and tiers are fixed;
  ``edit_tier_change`` only corrects the reason and who decided. A wrong change is replaced by a
  new change (or removed by an administrator, which does not touch the current tier).
"""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from wenshang.kernel.models import User
from wenshang.kernel.services import save_scoped

from .models import TierChange, Village
from .selectors import latest_tier_change


def change_tier(
    *, user: User, village: Village, to_tier: str, date: dt.date, reason: str, decided_by: str
) -> TierChange:
    """Record that ``village`` moves to ``to_tier`` on ``date`` and make it the village's tier.

    The village row is locked for the transaction, so two clerks changing the same village at
    once cannot both record a change from the same "tier before". Raises ``ValidationError``
    (a tier equal to the current one, a date before the latest change, a missing reason …) or
    ``PermissionDenied`` (the village is not the user's to change); either way nothing is written.
    Returns the saved ``TierChange``.
    """
    with transaction.atomic():
        village = Village._base_manager.select_for_update().select_related("township").get(pk=village.pk)
        latest = latest_tier_change(village=village)
        if latest is not None and date is not None and date < latest.date:
            raise ValidationError(
                {
                    "date": _(
                        "The tier of %(village)s last changed on %(date)s; a change cannot be dated earlier than "
                        "that (it would not be the current tier). Ask a county administrator to correct older history."
                    )
                    % {"village": village, "date": latest.date.isoformat()}
                },
                code="tier_backdated",
            )
        change = TierChange(
            village=village,
            date=date,
            from_tier=village.tier,
            to_tier=to_tier,
            reason=reason,
            decided_by=decided_by,
        )
        save_scoped(change, user=user)
        village.tier = to_tier
        save_scoped(village, user=user)
    return change


FIXED_FIELDS = ("village_id", "date", "from_tier", "to_tier")


def edit_tier_change(*, user: User, change: TierChange, reason: str, decided_by: str) -> TierChange:
    """Correct the reason and who decided of a recorded tier change. Its village, date and tiers
    are fixed: if ``change`` carries other values for them, ``ValidationError`` is raised and
    nothing is written. The village's tier is never touched here."""
    with transaction.atomic():
        stored = TierChange._base_manager.select_for_update().get(pk=change.pk)
        altered = [name for name in FIXED_FIELDS if getattr(change, name) != getattr(stored, name)]
        if altered:
            raise ValidationError(
                _("Only the reason and who decided can be corrected; to change the tier, record a new tier change."),
                code="tier_change_fixed",
            )
        stored.reason = reason
        stored.decided_by = decided_by
        return save_scoped(stored, user=user)
