"""What a user may see of the quarter close: their counties, a township of their scope."""
from decimal import Decimal

from django.apps import apps
from django.db.models import Max
from django.http import Http404

from wenshang.closing.models import FrozenValue, Snapshot, period_of


def counties(user):
    """The counties whose quarters ``user`` reads (scoped as every record)."""
    return list(apps.get_model("villages.County").objects.restrict(user, "view").order_by("code"))


def township_for(user, pk):
    township = apps.get_model("villages.Township").objects.restrict(user, "view").select_related("county").filter(pk=pk).first()
    if township is None:
        raise Http404
    return township


def _number(value):
    if value is None:
        return None
    value = Decimal(str(value))
    return int(value) if value == value.to_integral_value() else float(value)


def frozen_figures(county_id, periods, township_id=None):
    """{(year, quarter): {"snapshot": id, "revision": n, "values": {key: value}, "first": {key: value}}}
    of the closed quarters among ``periods`` of a county (a township's values when ``township_id``):
    the latest revision's values and the first's (the figure before any correction). One query."""
    wanted = {period_of(*p): p for p in periods}
    rows = (FrozenValue.objects.filter(snapshot__close__county_id=county_id, snapshot__close__period__in=list(wanted))
            .values_list("snapshot", "snapshot__revision", "snapshot__close__period", "key",
                         "townships" if township_id is not None else "value"))
    by_snapshot, revisions = {}, {}  # snapshot → {key: value}; period → {revision: snapshot}
    for snapshot, revision, period, key, value in rows:
        if township_id is not None:
            value = value.get(str(township_id), 0)
        by_snapshot.setdefault(snapshot, {})[key] = _number(value)
        revisions.setdefault(period, {})[revision] = snapshot
    out = {}
    for period, found in revisions.items():
        latest = max(found)
        out[wanted[period]] = {"snapshot": found[latest], "revision": latest, "values": by_snapshot[found[latest]],
                               "first": by_snapshot[found[min(found)]]}
    return out


def revision_figures(county_id, year, quarter, revision):
    """The county's frozen figures of a closed quarter at one revision: {"revision", "closed_at",
    "made_at", "reason", "values": {key: value}, "first": {key: value}} (``first``: the values at the
    close, as the dashboards' 修订（原 …） shows them), or None when the quarter has no such revision.
    Two queries."""
    snaps = {s.revision: s for s in Snapshot.objects.select_related("close").filter(
        close__county_id=county_id, close__period=period_of(year, quarter), revision__in=[revision, 1])}
    snap = snaps.get(revision)
    if snap is None:
        return None
    values = {}
    for snapshot, key, value in FrozenValue.objects.filter(snapshot__in=list(snaps.values())).values_list(
            "snapshot", "key", "value"):
        values.setdefault(snapshot, {})[key] = _number(value)
    first = snaps.get(1, snap)
    return {"revision": revision, "closed_at": snap.close.closed_at, "made_at": snap.made_at, "reason": snap.reason,
            "values": values.get(snap.pk, {}), "first": values.get(first.pk, {})}


def closed_quarters(county_id, periods):
    """{(year, quarter): latest revision} of the closed quarters among ``periods`` of a county (one query)."""
    if county_id is None:
        return {}
    wanted = {period_of(*p): p for p in periods}
    rows = (Snapshot.objects.filter(close__county_id=county_id, close__period__in=list(wanted))
            .values("close__period").annotate(revision=Max("revision")).values_list("close__period", "revision"))
    return {wanted[period]: revision for period, revision in rows}
