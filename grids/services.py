"""Writes with rules for the grids app (its read queries are in ``grids.selectors``)."""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from wenshang.kernel.models import User
from wenshang.kernel.scope import can
from wenshang.kernel.services import delete_scoped, save_scoped

from .choices import EventStatus
from .models import CreditRecord, GridEvent, Household


def add_credit_record(
    *, user: User, household: Household, date: dt.date, category: str, points: int, reason: str
) -> CreditRecord:
    """Record points for a household and update its total (the village ranking reads the total)."""
    with transaction.atomic():
        record = save_scoped(
            CreditRecord(household=household, date=date, category=category, points=points, reason=reason), user=user
        )
        Household.objects.filter(pk=household.pk).update(credit_points=F("credit_points") + points)
    household.refresh_from_db(fields=["credit_points"])
    return record


def change_credit_record(*, user: User, record: CreditRecord) -> CreditRecord:
    """Save a corrected credit record and set the totals of its household (and of the household
    it was moved from, if any) again from their records."""
    with transaction.atomic():
        before = CreditRecord._base_manager.filter(pk=record.pk).values_list("household_id", flat=True).first()
        save_scoped(record, user=user)
        for household_id in {before, record.household_id} - {None}:
            recount_points(household_id)
    return record


def delete_credit_record(*, user: User, record: CreditRecord) -> None:
    with transaction.atomic():
        delete_scoped(record, user=user)
        recount_points(record.household_id)


def recount_points(household_id: int) -> int:
    """Set a household's total from its records (after edits or imports)."""
    total = CreditRecord.objects.filter(household_id=household_id).aggregate(total=Sum("points"))["total"] or 0
    Household.objects.filter(pk=household_id).update(credit_points=total)
    return total


def recount_households(household_ids) -> None:
    """Set the totals of many households from their records at once (a batch: an import, a bulk request)."""
    ids = sorted(set(household_ids) - {None})
    total = (
        CreditRecord._base_manager.filter(household_id=OuterRef("pk")).order_by().values("household_id")
        .annotate(total=Sum("points")).values("total")
    )
    for start in range(0, len(ids), 2000):
        Household._base_manager.filter(pk__in=ids[start : start + 2000]).update(credit_points=Coalesce(Subquery(total), 0))


def credit_records_written(creates, updates) -> None:
    """What ``add_credit_record`` and ``change_credit_record`` do for one record, for a batch (rows with
    ``obj``; an updated record's household before is in its ``changes``): the households' totals."""
    ids = {row.obj.household_id for row in (*creates, *updates)}
    ids |= {row.changes["household_id"][0] for row in updates if "household_id" in (row.changes or {})}
    recount_households(ids)


# -- grid events: reported → assigned → resolved → closed ------------------------------------------
EVENT_FLOW: list[str] = list(EventStatus.values)  # reported, assigned, resolved, closed: the order of the choices


def next_event_status(status: str) -> str | None:
    """The step after ``status`` (None for a closed event)."""
    position = EVENT_FLOW.index(status) if status in EVENT_FLOW else 0
    return EVENT_FLOW[position + 1] if position + 1 < len(EVENT_FLOW) else None


def advance_event(*, user: User, event: GridEvent, to_status: str, by: str | None, note: str | None = "") -> GridEvent:
    """Move a grid event one step on, recording who and when:

    - assigned: ``by`` is the person the event is assigned to (``assigned_to``);
    - resolved: ``note`` is how it was resolved (``resolution``);
    - closed: ``by`` is the person who closed it (``closed_by``).

    The time of the step is now. An event cannot skip a step or go back; the event row is locked
    so that two clicks cannot record the same step twice. Raises ``PermissionDenied`` if ``user``
    may not change the event and ``ValidationError`` with a message for the user otherwise."""
    by = (by or "").strip()
    note = (note or "").strip()
    with transaction.atomic():
        stored = GridEvent._base_manager.select_for_update().filter(pk=event.pk).first()
        if stored is None or not can(user, "change", stored):
            raise PermissionDenied
        expected = next_event_status(stored.status)
        if expected is None:
            raise ValidationError(_("This event is closed; it has no further step."), code="event_closed")
        if to_status != expected:
            labels = dict(EventStatus.choices)
            raise ValidationError(
                _("An event goes reported → assigned → resolved → closed: from “%(current)s” the next step is “%(next)s”, not “%(asked)s”.")
                % {"current": labels[stored.status], "next": labels[expected], "asked": labels.get(to_status, to_status)},
                code="event_order",
            )
        now = timezone.now()
        stored.status = to_status
        if to_status == EventStatus.ASSIGNED:
            if not by:
                raise ValidationError({"assigned_to": _("Enter who the event is assigned to.")})
            stored.assigned_at, stored.assigned_to = now, by
        elif to_status == EventStatus.RESOLVED:
            if not note:
                raise ValidationError({"resolution": _("Describe how the event was resolved.")})
            stored.resolved_at, stored.resolution = now, note
        else:
            if not by:
                raise ValidationError({"closed_by": _("Enter who closed the event.")})
            stored.closed_at, stored.closed_by = now, by
        stored.full_clean()
        save_scoped(stored, user=user, validate=False)
    # the caller's object shows the new state too
    for field in ("status", "assigned_at", "assigned_to", "resolved_at", "resolution", "closed_at", "closed_by", "updated_at"):
        setattr(event, field, getattr(stored, field))
    return event
