"""Writes with rules for the alliances app."""
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from wenshang.scope import can
from wenshang.services import delete_scoped, save_scoped

from .choices import FundEntryKind
from .models import Alliance, FundEntry, fund_balance


def record_fund_entry(*, user, alliance, kind, amount, date, purpose, unit=None):
    """Add an entry to an alliance fund's ledger. The alliance row is locked for the length of
    the transaction, so two clerks recording disbursements at once cannot overdraw the fund
    together; ``FundEntry.clean`` refuses a disbursement larger than the balance."""
    with transaction.atomic():
        Alliance.objects.select_for_update().get(pk=alliance.pk)
        entry = FundEntry(alliance=alliance, kind=kind, amount=amount, date=date, purpose=purpose, unit=unit)
        return save_scoped(entry, user=user)


def delete_fund_entry(*, user, entry):
    """Remove a ledger entry (a mistaken one) unless that would leave the fund negative."""
    with transaction.atomic():
        if not can(user, "delete", entry):
            raise PermissionDenied
        Alliance.objects.select_for_update().get(pk=entry.alliance_id)
        if entry.kind == FundEntryKind.CONTRIBUTION and fund_balance(entry.alliance_id) - entry.amount < 0:
            raise ValidationError(_("Removing this contribution would leave the alliance fund negative."))
        delete_scoped(entry, user=user)
