"""Keep the dashboards fresh, by scope: a change of a record makes stale the dashboards that show
its township (before and after the change, when it moved) and the county-wide pages, nothing else
(``data.bump_scopes``), at once and again when the transaction commits (so that a page computed
meanwhile from the old rows is not kept).

Every write path reports its changes to ``wenshang.kernel.changes.records_changed`` (forms, API,
imports and bulk loads through the change log, services, the admin, queryset updates), with where
each record lies; the aggregates add the townships whose figures changed through a record of
another (``aggregates.figures_changed``: a grid moved to another village moves its credit records)."""
from django.db import transaction

from wenshang.closing.services import quarter_closed
from wenshang.dashboard import data
from wenshang.kernel import changes
from wenshang.web import aggregates

APPS = {"villages", "alliances", "grids", "finance", "talent"}

# The models the dashboards read other than through the metrics (whose fields the aggregates follow):
# a queryset update of one of them is reported with its rows (two queries), others are not needed.
READ = {
    "villages.village", "villages.township", "villages.county", "villages.collectiveincome", "villages.project",
    "villages.surveyvisit", "villages.surveyround", "villages.surveyproblem", "villages.target",
    "finance.loan", "finance.agriloanreport", "alliances.pairingoutcome", "alliances.jointcommittee",
    "alliances.jointcommitteevillage", "talent.reservecadre", "talent.trainingattendance",
}


def _bump(townships, counties, catalogue):
    def bump():
        data.bump_scopes(townships, counties, catalogue)

    bump()
    transaction.on_commit(bump)


def _changed(sender, changes, using, **kwargs):
    if getattr(sender, "_meta", None) is None or sender._meta.app_label not in APPS:
        return
    townships, counties, catalogue = set(), set(), False
    for change in changes:
        for township, county in change.places:
            if township is None:
                catalogue = True
            else:
                townships.add(township)
            if county is not None:
                counties.add(county)
    _bump(townships, counties, catalogue)


def _figures_changed(sender, townships, counties, using, **kwargs):
    _bump({t for t in townships if t is not None}, {c for c in counties if c is not None}, None in townships)


@changes.interested
def _reads(model, attnames):
    return model._meta.label_lower in READ


changes.records_changed.connect(_changed, dispatch_uid="dashboard-records-changed")
aggregates.figures_changed.connect(_figures_changed, dispatch_uid="dashboard-figures-changed")


def _closed(sender, snapshot, **kwargs):
    """A quarter closed or revised: its county's pages mark it (已锁定) and show its frozen figures."""
    data.bump_scopes((), [snapshot.close.county_id], catalogue=True)


quarter_closed.connect(_closed, dispatch_uid="dashboard-quarter-closed")
