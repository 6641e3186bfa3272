"""The map's parcels, area and idle parcels per village are the metrics ``homestead_parcels``,
``homestead_area`` and ``homestead_idle`` (``Metric.per_village``), the parcel list's count, and
the same payload, byte for byte, as the map's former GROUP BY of its own."""
import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import Count, Q, Sum
from django.test.utils import CaptureQueriesContext

from finance.models import Homestead
from villages.models import Village
from wenshang.dashboard import geo
from wenshang.web import figures

pytestmark = pytest.mark.django_db

KEYS = {"parcels": "homestead_parcels", "area": "homestead_area", "idle": "homestead_idle"}


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


@pytest.fixture
def parcels(township_a, village_a, village_b):
    """Village a: four parcels (two idle, one with cents); village b: one; a third village: none."""
    village_c = Village.objects.create(township=township_a, code=village_a.code[:9] + "998", name="空村")
    rows = [(village_a, "idle", "100.40"), (village_a, "occupied", "100.45"), (village_a, "idle", "0.35"),
            (village_a, "leased", "99.99"), (village_b, "occupied", "250.50")]
    for n, (village, use, area) in enumerate(rows, 1):
        Homestead.objects.create(
            village=village, parcel_code=f"{village.code}JC{n:05d}", holder_name="张三",
            holder_id_number="370830199001011236", area=Decimal(area), use=use, surveyed_on=dt.date(2023, 5, 1),
        )
    return [village_a, village_b, village_c]


def former_aggregates(township=None):
    """The map's own GROUP BY before it took the metrics (kept here as the reference)."""
    qs = Homestead.objects.all()
    if township is not None:
        qs = qs.filter(village__township=township)
    return {
        r["village_id"]: r
        for r in qs.order_by().values("village_id")
        .annotate(n=Count("pk"), area=Sum("area"), idle=Count("pk", filter=Q(use="idle")))
    }


def former_payload(township=None):
    """The payload as the former code built it: today's, with the former aggregates (a township's:
    its villages' added up)."""
    payload = geo.build(township)
    fields = payload["fields"]
    old = former_aggregates(township)
    if township is None:
        townships = []
        in_town = dict(Village.objects.values_list("pk", "township_id"))
        for row in payload["townships"]:
            mine = [p for v, p in old.items() if in_town[v] == row[0]]
            row = list(row)
            row[4:8] = [sum(1 for v in in_town.values() if v == row[0]), sum(p["n"] for p in mine),
                        round(float(sum(p["area"] for p in mine))), sum(p["idle"] for p in mine)]
            townships.append(row)
        return {**payload, "townships": townships}
    villages = []
    for row in payload["villages"]:
        p = old.get(row[0], {})
        row = list(row)
        row[fields.index("parcels")] = p.get("n", 0)
        row[fields.index("area")] = round(float(p.get("area") or 0))
        row[fields.index("idle")] = p.get("idle", 0)
        villages.append(row)
    return {**payload, "villages": villages}


def dumps(payload):
    return json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def test_the_map_takes_each_village_s_parcels_from_the_metrics_and_the_list(client, official, parcels):
    client.force_login(official)
    rows = {}
    for township in {village.township_id for village in parcels}:  # the villages, as the county map loads them
        payload = client.get(f"/dashboard/map/data/?township={township}").json()
        rows.update({v[0]: dict(zip(payload["fields"], v)) for v in payload["villages"]})
    for village in parcels:
        row = rows[village.pk]
        for field, key in KEYS.items():
            value = figures.metric(key).value(village=village.pk)
            assert row[field] == (round(value) if field == "area" else value), (village.code, field)
        listed = client.get(f"/finance/homesteads/?village={village.pk}")
        assert listed.context["page"].paginator.count == row["parcels"], village.code
        idle = client.get(f"/finance/homesteads/?village={village.pk}&use=idle")
        assert idle.context["page"].paginator.count == row["idle"], village.code
    a, b, c = (rows[v.pk] for v in parcels)
    assert (a["parcels"], a["area"], a["idle"]) == (4, 301, 2)
    assert (b["parcels"], b["area"], b["idle"]) == (1, 250, 0)  # 250.50 → 250, as before (round half even)
    assert (c["parcels"], c["area"], c["idle"]) == (0, 0, 0)


def test_per_village_values_equal_the_metric_in_each_village_in_one_query(parcels, township_a):
    with CaptureQueriesContext(connection) as queries:
        values = figures.per_village_values(list(KEYS.values()))
    assert len(queries.captured_queries) == 1
    for key in KEYS.values():
        m = figures.metric(key)
        assert m.per_village() == values[key]
        for village in parcels:
            assert values[key].get(village.pk, 0) == m.value(village=village.pk), (key, village.code)
    in_a = figures.per_village_values(list(KEYS.values()), township_a.pk)
    assert set(in_a["homestead_parcels"]) == {parcels[0].pk}  # village b lies in township b, village c has none
    assert in_a["homestead_area"] == {parcels[0].pk: 301.19}


@pytest.mark.parametrize("scoped", [False, True])
def test_the_payload_is_the_same_as_the_former_group_by(parcels, township_a, scoped):
    township = township_a.pk if scoped else None
    assert dumps(geo.build(township)) == dumps(former_payload(township))
    with CaptureQueriesContext(connection) as queries:
        geo.build(township)
    assert len(queries.captured_queries) == 2  # the parcels' GROUP BY and the villages, as before
