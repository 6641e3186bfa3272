"""Writes with rules for the alliances app (its read queries are in ``alliances.selectors``)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from wenshang.kernel.models import User
from wenshang.kernel.scope import can
from wenshang.kernel.services import delete_scoped, save_scoped

from .choices import FundEntryKind
from .models import Alliance, FundEntry, MemberUnit, fund_balance


def record_fund_entry(
    *, user: User, alliance: Alliance, kind: str, amount: Decimal, date: dt.date, purpose: str, unit: MemberUnit | None = None
) -> FundEntry:
    """Add an entry to an alliance fund's ledger. The alliance row is locked for the length of
    the transaction, so two clerks recording disbursements at once cannot overdraw the fund
    together; ``FundEntry.clean`` refuses a disbursement larger than the balance."""
    with transaction.atomic():
        Alliance.objects.select_for_update().get(pk=alliance.pk)
        entry = FundEntry(alliance=alliance, kind=kind, amount=amount, date=date, purpose=purpose, unit=unit)
        return save_scoped(entry, user=user)


def delete_fund_entry(*, user: User, entry: FundEntry) -> None:
    """Remove a ledger entry (a mistaken one) unless that would leave the fund negative."""
    with transaction.atomic():
        if not can(user, "delete", entry):
            raise PermissionDenied
        Alliance.objects.select_for_update().get(pk=entry.alliance_id)
        if entry.kind == FundEntryKind.CONTRIBUTION and fund_balance(entry.alliance_id) - entry.amount < 0:
            raise ValidationError(_("Removing this contribution would leave the alliance fund negative."))
        delete_scoped(entry, user=user)
