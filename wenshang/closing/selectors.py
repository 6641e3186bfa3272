"""What a user may see of the quarter close: their counties, a township of their scope."""
from decimal import Decimal

from django.apps import apps
from django.http import Http404

from wenshang.closing.models import FrozenValue, period_of


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
