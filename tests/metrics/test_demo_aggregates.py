"""On the demo county (``load_demo``: 199,900 parcels, every figure of the article), the aggregates kept
while it was built equal the records: ``metrics verify`` finds no difference, and every figure,
drill value, "as of" value, period and per-village value read from them is the one the records give."""
import datetime as dt

import pytest

from villages.models import Township
from wenshang.kernel.periods import quarter_dates
from wenshang.web import aggregates, figures

pytestmark = pytest.mark.slow


@pytest.fixture
def demo_db(demo_county, db):
    return demo_county


def test_the_demo_county_s_aggregates_are_its_records(demo_db):
    assert aggregates.verify() == []
    quarters = [quarter_dates(y, q) for y in (2021, 2022, 2023, 2024) for q in (1, 2, 3, 4) if (y, q) <= (2024, 2)]
    places = [None, *Township.objects.order_by("code").values_list("pk", flat=True)]
    for t in places:
        assert figures.compute(t) == figures.compute(t, raw=True), t
        assert figures.drill_values(t) == figures.drill_values(t, raw=True), t
    for t in places[:3]:
        for _start, end in quarters[-5:]:
            assert figures.drill_values_as_of(end, t) == figures.drill_values_as_of(end, t, raw=True), (t, end)
    dated = [k for k, m in figures.metrics().items() if m.date and m.kind != "latest_quarter"]
    year = [(dt.date(2023, 1, 1), dt.date(2023, 12, 31))]
    for t in places[:3]:
        assert figures.period_values(dated, quarters[-2:] + year, township=t) == figures.period_values(
            dated, quarters[-2:] + year, township=t, raw=True), t
    parcels = ("homestead_parcels", "homestead_area", "homestead_idle")
    def shown(values):  # a village with parcels but no idle one: 0 either way
        return {key: {v: x for v, x in per.items() if x} for key, per in values.items()}

    assert shown(figures.per_village_values(parcels)) == shown(figures.per_village_values(parcels, raw=True))
