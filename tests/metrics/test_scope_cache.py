"""The dashboards' cache goes stale by scope (``wenshang.dashboard.data.key``): a write in one township
makes stale what shows that township and the county, and leaves another township's dashboard warm —
served from the cache with no query but the session's, the user's and, for a township's page, the
township's own (may the user read it?)."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from finance.models import Homestead
from tests.factory_helpers import valid_id
from villages.models import SurveyRound
from wenshang.dashboard import data as dash
from wenshang.kernel import audit, bulk

WARM = {"county": 2, "a": 3, "b": 3}  # the session, the user (and the township asked for, to check the user's scope)


def parcel(village, n):
    return Homestead(village=village, parcel_code=f"{village.code}JC{n:05d}", holder_name="甲",
                     holder_id_number=valid_id("37083019800101123"), area=Decimal("100.00"), surveyed_on=dt.date(2024, 5, 1))


def pages(township_a, township_b):
    return {"county": "/", "a": f"/dashboard/townships/{township_a.pk}/", "b": f"/dashboard/townships/{township_b.pk}/"}


def queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.fixture
def warm(client, official, township_a, township_b, village_a, village_b):
    """Every dashboard opened once (so cached): returns a function telling which are still warm."""
    cache.clear()
    client.force_login(official)
    urls = pages(township_a, township_b)

    def fill():
        for url in urls.values():
            client.get(url)
        assert all(queries(client, url) == WARM[name] for name, url in urls.items())

    def still_warm():
        return {name for name, url in urls.items() if queries(client, url) == WARM[name]}

    fill()
    still_warm.fill = fill
    return still_warm


def test_a_write_in_one_township_leaves_the_other_warm(warm, village_a, village_b):
    parcel(village_a, 1).save()  # a form, the API, a service: one save
    assert warm() == {"b"}  # A's and the county's are cold (and computed again above)
    warm.fill()
    audit.log_bulk_create(Homestead, bulk.fast_insert(Homestead, [parcel(village_b, n) for n in (2, 3)]))  # an import
    assert warm() == {"a"}
    warm.fill()
    Homestead.objects.filter(village=village_a).update(area=Decimal("120.00"))  # a queryset update
    assert warm() == {"b"}


def test_the_cold_pages_show_the_write(client, official, warm, village_a, township_a):
    before = dash.get(township_a.pk)["figures"]["homestead_parcels"]
    parcel(village_a, 1).save()
    assert dash.get(township_a.pk)["figures"]["homestead_parcels"] == before + 1
    assert dash.get()["figures"]["homestead_parcels"] == before + 1


def test_a_record_moved_to_another_township_makes_both_stale(warm, village_a, village_b):
    record = parcel(village_a, 1)
    record.save()
    warm.fill()
    record = Homestead.objects.get(pk=record.pk)
    record.village, record.parcel_code = village_b, f"{village_b.code}JC00001"
    record.save()
    assert warm() == set()


def test_a_row_of_no_township_makes_every_township_stale(warm):
    """A county catalogue (a survey round, a training, a batch): every township's page shows it."""
    SurveyRound.objects.create(year=2024, quarter=2, start_date=dt.date(2024, 4, 1), end_date=dt.date(2024, 6, 30))
    assert warm() == set()


def test_a_key_costs_no_query(township_a):
    with CaptureQueriesContext(connection) as captured:
        dash.key(None), dash.key(township_a.pk)
    assert captured.captured_queries == []
