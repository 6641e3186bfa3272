"""The quarter cycle's writes: submit (township), approve or return (county), the close and its frozen
figures, correction requests and their decision. Each checks who may act, in one transaction, and
logs the step."""
import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from wenshang.closing import checklist, history
from wenshang.closing.guard import make_checker
from wenshang.closing.models import Close, Correction, FrozenValue, Snapshot, Submission, SubmissionEvent, period_of
from wenshang.kernel import locks, privacy
from wenshang.kernel.audit import actor, user_label
from wenshang.kernel.choices import Role
from wenshang.kernel.periods import quarter_dates, reference_date
from wenshang.web import figures

quarter_closed = Signal()  # sender=Snapshot, snapshot=: a quarter closed, or a revision of its figures made
step_taken = Signal()  # sender=Submission, submission=, action=: a township's quarter submitted, returned or approved


# -- when ---------------------------------------------------------------------------------------------
def deadline(year, quarter):
    """The last day to submit a quarter: ``QUARTER_SUBMIT_DAYS`` after its end."""
    return quarter_dates(year, quarter)[1] + dt.timedelta(days=settings.QUARTER_SUBMIT_DAYS)


def ended(year, quarter):
    return quarter_dates(year, quarter)[1] <= reference_date()


def overdue(submission):
    return submission.state in (Submission.State.OPEN, Submission.State.RETURNED) and reference_date() > deadline(
        submission.year, submission.quarter)


def latest_ended():
    """The latest quarter that has ended (on the reference date)."""
    day = reference_date()
    year, quarter = day.year, (day.month - 1) // 3 + 1
    if quarter_dates(year, quarter)[1] > day:
        year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    return year, quarter


# -- who ----------------------------------------------------------------------------------------------
def may_review(user, county_id):
    """County administrators of the county (and superusers) approve, return and decide corrections."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if user.role != Role.ADMIN or user.township_id is not None:
        return False
    # the county's administrators; an administrator of the whole portal (no county, no city) too,
    # not a city's: the city sees its counties' states, the counties decide
    return user.county_id == county_id or (user.county_id is None and user.city_id is None)


def may_submit(user, township):
    if not user.is_authenticated or not user.is_active:
        return False
    if user.role == Role.TOWNSHIP:
        return user.township_id == township.pk
    return may_review(user, township.county_id)


# -- the submission -----------------------------------------------------------------------------------
def submission(township, year, quarter, create=False):
    """The township's submission of a quarter: its row, or (not yet submitted) a new one, saved only
    with ``create`` (a submission being made): reading a quarter writes nothing."""
    found = Submission.objects.filter(township=township, period=period_of(year, quarter)).first()
    if found is None:
        found = Submission(township=township, county_id=township.county_id, year=year, quarter=quarter,
                           period=period_of(year, quarter))
        if create:
            found.save()
    return found


def _event(sub, user, action, note):
    SubmissionEvent.objects.create(submission=sub, user=user, user_name=user_label(user)[:150], action=action, note=note)


def submit(*, user, township, year, quarter, note="", reasons=None):
    """Submit a township's quarter: each checklist item left open needs a reason."""
    if not may_submit(user, township):
        raise PermissionDenied
    if not ended(year, quarter):
        raise ValidationError(_("%(year)s Q%(quarter)s has not ended yet: it can be submitted from its last day.") % {
            "year": year, "quarter": quarter})
    reasons = {k: str(v).strip() for k, v in (reasons or {}).items() if str(v).strip()}
    items = checklist.items(township, year, quarter)
    missing = {f"reason_{i.key}": _("This item is still open: say why, or complete it first.") for i in items
               if i.open and not reasons.get(i.key)}
    if missing:
        raise ValidationError(missing)
    with transaction.atomic():
        sub = Submission.objects.select_for_update().get(pk=submission(township, year, quarter, create=True).pk)
        if sub.state not in (Submission.State.OPEN, Submission.State.RETURNED):
            raise ValidationError(_("This quarter was already submitted (%(state)s).") % {"state": sub.get_state_display()})
        sub.state = Submission.State.SUBMITTED
        sub.note = note.strip()
        sub.reasons = {i.key: reasons[i.key] for i in items if i.open}
        sub.checklist = [i.as_dict() for i in items]
        sub.submitted_at, sub.submitted_by = timezone.now(), user
        sub.save()
        _event(sub, user, SubmissionEvent.Action.SUBMIT, sub.note)
        transaction.on_commit(lambda: step_taken.send(sender=Submission, submission=sub, action="submit"))
    return sub


def _decide(user, sub, to_state, action, comment):
    if not may_review(user, sub.county_id):
        raise PermissionDenied
    if sub.pk is None:
        raise ValidationError(_("Only a submitted quarter can be reviewed; this one is “%(state)s”.") % {
            "state": sub.get_state_display()})
    with transaction.atomic():
        sub = Submission.objects.select_for_update().get(pk=sub.pk)
        if sub.state != Submission.State.SUBMITTED:
            raise ValidationError(_("Only a submitted quarter can be reviewed; this one is “%(state)s”.") % {
                "state": sub.get_state_display()})
        sub.state, sub.comment = to_state, comment.strip()
        sub.reviewed_at, sub.reviewed_by = timezone.now(), user
        sub.save()
        _event(sub, user, action, sub.comment)
        if to_state == Submission.State.APPROVED:
            close_if_complete(sub.county, sub.year, sub.quarter)
        transaction.on_commit(lambda: step_taken.send(sender=Submission, submission=sub, action=action))
    return sub


def approve(*, user, submission, comment=""):
    """Approve a submitted quarter: the township's records of it lock; the last township closes it."""
    return _decide(user, submission, Submission.State.APPROVED, SubmissionEvent.Action.APPROVE, comment)


def return_(*, user, submission, comment):
    """Return a submitted quarter to the township, with what to fix."""
    if not comment.strip():
        raise ValidationError({"comment": _("Say what the township should fix.")})
    return _decide(user, submission, Submission.State.RETURNED, SubmissionEvent.Action.RETURN, comment)


# -- the close --------------------------------------------------------------------------------------
def close_if_complete(county, year, quarter, announce=True, values=None):
    """Close the quarter once every township of the county is approved: freeze its figures. The
    county's row is locked first: two last approvals at once close it once, and surely."""
    type(county).objects.select_for_update().filter(pk=county.pk).first()
    townships = county.townships.count()
    approved = Submission.objects.filter(county=county, period=period_of(year, quarter), state=Submission.State.APPROVED).count()
    if approved < townships or Close.objects.filter(county=county, period=period_of(year, quarter)).exists():
        return None
    close = Close.objects.create(county=county, year=year, quarter=quarter, closed_at=timezone.now())
    return freeze(close, announce=announce, values=values)


def freeze(close, reason="", correction=None, announce=True, values=None):
    """A new revision of ``close``'s frozen figures; ``announce``: tell who makes the official report
    (``quarter_closed``, after commit); ``values``: the figures already counted as of the quarter's
    end (``figures.values_as_of``).

    The first revision counts the records as they stand at the close. A later one (``correction``)
    counts them as they stood at the close with the approved corrections of the quarter applied, and
    nothing else that changed since (a grid added since does not revise the count of grids): the
    models the corrections changed are counted again that way, every other figure is the previous
    revision's."""
    previous = close.snapshots.order_by("-revision").first()
    snap = Snapshot.objects.create(close=close, revision=(previous.revision if previous else 0) + 1, made_at=timezone.now(),
                                   reason=reason, correction=correction)
    if values is None and previous is None:
        values = figures.values_as_of(close.end_date, close.county_id)
    elif values is None:
        values = {v.key: (v.value, v.townships, v.villages) for v in previous.values.all()}
        models = history.corrected_models(close)
        keys = [k for k, m in figures.metrics().items() if m.get_model() in models and k in values]
        first = close.snapshots.order_by("revision").first()
        for model in models:
            with history.as_it_stood(model, first.made_at, keep=history.correction_sources(close)):
                values.update(figures.values_as_of(close.end_date, close.county_id,
                                                   [k for k in keys if figures.metric(k).get_model() is model]))
    FrozenValue.objects.bulk_create([
        FrozenValue(snapshot=snap, key=key, value=value, townships=_json(by_township), villages=_json(by_village))
        for key, (value, by_township, by_village) in values.items()
    ])
    if announce:
        transaction.on_commit(lambda: quarter_closed.send(sender=Snapshot, snapshot=snap))
    return snap


def _json(values):
    return {str(k): (str(v) if isinstance(v, Decimal) else v) for k, v in values.items()}


# -- corrections ------------------------------------------------------------------------------------
def request_correction(*, user, record, action, data, changes, reason, period, township, county):
    """Ask the county to make a change the lock refused (``data``: the form's values)."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the locked data must change.")})
    from_model = type(record)
    personal = privacy.personal_fields(from_model)  # type: ignore[arg-type]  # shown to readers: masked
    changes = {name: [personal[name](v) if name in personal and v else v for v in pair] for name, pair in changes.items()}
    changes = {name: pair for name, pair in changes.items() if pair[0] != pair[1]}  # a masked number sent back: unchanged
    return Correction.objects.create(
        year=period[0], quarter=period[1], township=township, county=county,
        content_type=ContentType.objects.get_for_model(from_model), object_id=str(record.pk or ""),
        object_repr=str(record)[:200] if record.pk else "", action=action, data=data, changes=changes,
        reason=reason.strip(), requested_by=user)


def decide_correction(*, user, correction, approve, note="", apply):
    """Approve (``apply()`` makes the change, past the lock, logged as the request's) or reject."""
    if not may_review(user, correction.county_id):
        raise PermissionDenied
    with transaction.atomic():
        correction = Correction.objects.select_for_update().get(pk=correction.pk)  # two decisions at once: one
        if correction.state != Correction.State.PENDING:
            raise ValidationError(_("This request was already decided."))
        if approve:
            with locks.correcting(correction), actor(user, f"correction:{correction.pk}"):
                apply()
        correction.state = Correction.State.APPROVED if approve else Correction.State.REJECTED
        correction.decided_at, correction.decided_by, correction.decision_note = timezone.now(), user, note.strip()
        correction.save()
        if approve:
            close = Close.objects.filter(county_id=correction.county_id, period=correction.period).first()
            if close is not None:
                freeze(close, reason=correction.reason, correction=correction)
    return correction


def refusal(record, stored=None):
    """The ``PeriodLocked`` a write of ``record`` (its new values) or of ``stored`` (the record as it
    stands) would meet, or None: what a correction request is about."""
    check = make_checker()
    for obj in (record, stored):
        if obj is None:
            continue
        try:
            check(obj)
        except locks.PeriodLocked as exc:
            return exc
    return None


def close_history(county, periods, user=None):
    """Quarters of the past closed as the cycle would have closed them (a demo county's history):
    every township's submission approved, its steps logged, the figures frozen. Returns the rows made."""
    rows = 0
    townships = list(county.townships.order_by("code"))
    ends = {p: quarter_dates(*p)[1] for p in periods}
    counted = figures.values_as_of_days(list(ends.values()), county.pk)  # every quarter in one pass
    for year, quarter in periods:
        end = timezone.make_aware(dt.datetime.combine(deadline(year, quarter), dt.time(10)))
        subs = Submission.objects.bulk_create([
            Submission(township=t, county=county, year=year, quarter=quarter, period=period_of(year, quarter),
                       state=Submission.State.APPROVED, submitted_at=end, submitted_by=user, reviewed_at=end, reviewed_by=user,
                       note=_("Submitted on time."))
            for t in townships])
        name = user_label(user) if user is not None else ""
        SubmissionEvent.objects.bulk_create(
            [SubmissionEvent(submission=s, user=user, user_name=name, action=a) for s in subs
             for a in (SubmissionEvent.Action.SUBMIT, SubmissionEvent.Action.APPROVE)])
        snap = close_if_complete(county, year, quarter, announce=False, values=counted[ends[(year, quarter)]])
        rows += len(subs) * 3 + 2 + snap.values.count()
    return rows
