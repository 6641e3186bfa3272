"""Locked quarters refuse writes: every write path reports its changes (``wenshang.kernel.changes``),
in the writer's transaction; a change of a dated record that belongs, before or after it, to a
quarter its township has had approved (or, for a record of no township, a quarter its county has
closed) raises ``PeriodLocked``, which rolls the write back. An approved correction request being
applied passes (``wenshang.kernel.locks.correcting``).

A record of no date (a village, a grid, a household) belongs to the quarter in which it was last
changed, and is not refused: it is the portal's master data, changed every quarter as work goes on
(a household's credit points, a problem's progress), and its state at a close is kept all the same
by the frozen figures and, row by row, by the change log (``wenshang.closing.history``)."""
from django.db.models import Q
from django.utils.translation import gettext as _

from wenshang.closing import periods
from wenshang.closing.models import Close, Submission, period_of, split_period
from wenshang.kernel import changes, locks
from wenshang.kernel.scope import county_id_of, township_id_of


def message(period, place):
    year, quarter = split_period(period)
    return _("The data of %(year)s Q%(quarter)s of %(place)s have been approved and locked: they can no longer be "
             "added, changed or deleted here. Submit a correction request to change them.") % {
        "year": year, "quarter": quarter, "place": place}


def _field_name(model):
    spec = periods.period_path(model)
    if spec is None:
        return None
    field, _rest = periods.split(model, spec[0])
    return field.name


def locked(pairs, using="default"):
    """The first of ``pairs`` ((township id or None, county id or None, period)) that is locked, as
    (period, place name), or None. At most two queries, none for quarters still to come."""
    now = periods.current_period()
    pairs = {p for p in pairs if p[2] is not None and p[2] <= now}
    by_township = {(t, p) for t, _c, p in pairs if t is not None}
    by_county = {(c, p) for t, c, p in pairs if t is None and c is not None}
    if by_township:
        q = Q()
        for t, p in by_township:
            q |= Q(township_id=t, period=p)
        hit = (Submission.objects.using(using).filter(q, state=Submission.State.APPROVED)
               .select_related("township").order_by("period").first())
        if hit is not None:
            return hit.period, hit.township.name
    if by_county:
        q = Q()
        for c, p in by_county:
            q |= Q(county_id=c, period=p)
        hit = Close.objects.using(using).filter(q).select_related("county").order_by("period").first()
        if hit is not None:
            return hit.period, hit.county.name
    return None


def _to_period(quarter):
    return period_of(*quarter) if quarter is not None else None


def _value_periods(model, values_list, using):
    """[period or None or KeyError] of each values dict (None: a record of no date). KeyError: the
    date is not among the values (read it from the record)."""
    spec = periods.period_path(model)
    field, rest = periods.split(model, spec[0])
    is_year = spec[1]
    if not field.is_relation:
        out = []
        for values in values_list:
            if values is None or field.attname not in values:
                out.append(KeyError)
                continue
            value = values[field.attname]
            out.append(_to_period(periods.quarter_of_value(value, is_year)))
        return out
    ids = {values[field.attname] for values in values_list if values is not None and values.get(field.attname) is not None}
    found = dict(field.related_model._base_manager.using(using).filter(pk__in=ids).values_list("pk", rest)) if ids else {}
    out = []
    for values in values_list:
        if values is None or field.attname not in values:
            out.append(KeyError)
        else:
            out.append(_to_period(periods.quarter_of_value(found.get(values[field.attname]), is_year)))
    return out


def _changed(change):
    before, after = change.before or {}, change.after or {}
    return {k for k in set(before) | set(after) if before.get(k) != after.get(k)}


def _stored_periods(model, pks, using):
    spec = periods.period_path(model)
    rows = model._base_manager.using(using).filter(pk__in=pks).values_list("pk", spec[0])
    return {pk: _to_period(periods.quarter_of_value(value, spec[1])) for pk, value in rows}


def _heard(sender, changes, using, **kwargs):
    if locks.correction() is not None or sender not in periods.guarded_models():
        return
    spec = periods.period_path(sender)
    if spec is None:  # no date: its state at a close is kept by the frozen figures and the change log
        return
    open_fields = {sender._meta.get_field(name).attname for name in sender.period_open_fields}
    if open_fields:  # a change of the record's later life only (a loan repaid) is not the locked quarter's
        changes = [c for c in changes if not (c.action == "update" and _changed(c) <= open_fields)]
        if not changes:
            return
    found = {}  # pk -> set of periods
    befores = _value_periods(sender, [c.before for c in changes], using)
    afters = _value_periods(sender, [c.after for c in changes], using)
    # A new record was nowhere before: its own values place it (no query for the record's date).
    befores = [None if c.action == "create" and c.before is None else b for c, b in zip(changes, befores)]
    missing = [c.pk for c, b, a in zip(changes, befores, afters) if c.action != "delete" and (a is KeyError or b is KeyError)]
    stored = _stored_periods(sender, missing, using) if missing else {}
    for change, before, after in zip(changes, befores, afters):
        now = stored.get(change.pk) if after is KeyError else after
        then = now if before is KeyError else before
        found[change.pk] = {p for p in (then, now) if p is not KeyError}
    pairs = set()
    for change in changes:
        for period in found.get(change.pk, ()):
            for township, county in change.places or {(None, None)}:
                pairs.add((township, county, period))
    hit = locked(pairs, using)
    if hit is not None:
        raise locks.PeriodLocked(message(*hit), split_period(hit[0]), hit[1], _field_name(sender))


changes.records_changed.connect(_heard, dispatch_uid="closing-guard")


@changes.interested
def _wants_update(model, attnames):
    """Queryset updates of records that can be locked are heard too."""
    return model in periods.guarded_models() and periods.period_path(model) is not None


def make_checker():
    """A check of records before they are written (the imports' check), with one read of the
    locked quarters of the townships it meets."""
    memo = {}

    def check(obj):
        model = type(obj)
        if model not in periods.guarded_models():
            return
        spec = periods.period_path(model)  # type: ignore[arg-type]
        if spec is None:
            return  # a new record of no date belongs to today's quarter
        field, rest = periods.split(model, spec[0])
        if field.is_relation:
            related = getattr(obj, field.name, None)
            value = None
            if related is not None and rest:
                value = related
                for part in rest.split("__"):
                    value = getattr(value, part, None)
        else:
            value = getattr(obj, field.attname)
        period = _to_period(periods.quarter_of_value(value, spec[1]))
        if period is None or period > periods.current_period():
            return
        key = (township_id_of(obj), county_id_of(obj), period)
        if key not in memo:
            memo[key] = locked({key})
        if memo[key] is not None:
            raise locks.PeriodLocked(message(*memo[key]), split_period(memo[key][0]), memo[key][1], field.name)

    return check


locks.use_checker(make_checker)
