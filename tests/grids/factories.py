"""The factories of the grids app's entities (collected by ``tests.factories``: use
``make(Model, township, n)`` from there): mostly the builders of the view tests (``test_views``'
helper functions and the ``make()`` of its ``ModelViewTests`` subclasses). Add the factory of a
new grids entity to ``FACTORIES``."""
from grids import models as gm
from tests.factory_helpers import MOMENT, made_by
from tests.grids import test_views as grid_tests


def grid_event(township, n=0):
    """A grid event reported at the fixed clock (``tests.grids``' own reports two days before now)."""
    return gm.GridEvent.objects.create(grid=grid_tests.grid_in(township), title=f"路灯损坏{n}", category="facilities",
                                       reported_at=MOMENT, reported_by="网格员甲")


FACTORIES = {
    gm.Grid: grid_tests.grid_in,
    gm.GridWorker: made_by(grid_tests.TestGridWorkerViews),
    gm.Household: grid_tests.household_in,
    gm.CreditRecord: made_by(grid_tests.TestCreditRecordViews),
    gm.GridEvent: grid_event,
    gm.LectureHall: made_by(grid_tests.TestLectureHallViews),
    gm.LectureSession: made_by(grid_tests.TestLectureSessionViews),
}
