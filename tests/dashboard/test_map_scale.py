"""The map's data for a county view stays under 200 KB at any scale: townships as aggregates
(3,500 villages in 150 townships here, as in a city), a township's villages loaded on demand."""
import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alliances.models import JointCommittee, JointCommitteeVillage
from finance.models import Homestead
from villages.models import County, Township, Village
from wenshang.dashboard import geo

pytestmark = pytest.mark.django_db

TOWNSHIPS, PER_TOWNSHIP = 150, 24  # 3,600 villages


@pytest.fixture
def city(county):
    cache.clear()
    counties = [county] + [County.objects.create(code=f"3708{n:02d}", name=f"第{n}县") for n in range(31, 42)]
    townships = Township.objects.bulk_create(
        Township(county=counties[n % len(counties)], code=f"{counties[n % len(counties)].code}{n:03d}", name=f"第{n}镇（街道）")
        for n in range(TOWNSHIPS))
    villages = Village.objects.bulk_create(
        Village(township=t, code=f"{t.code}{i:03d}", name=f"{t.name[:-4]}第{i}村民委员会", tier=["foundation", "excellence", "model"][i % 3],
                latitude=Decimal("35.0") + Decimal(n) / 100 + Decimal(i) / 1000, longitude=Decimal("116.0") + Decimal(i * 7 % 11) / 100)
        for n, t in enumerate(townships) for i in range(PER_TOWNSHIP))
    for z in range(TOWNSHIPS * 2):  # two zones in a township, a dozen villages each
        t = townships[z // 2]
        committee = JointCommittee.objects.create(name=f"第{z}片区联合党委", township=t, county_leader="李四", established_on=dt.date(2022, 1, 1))
        mine = villages[(z // 2) * PER_TOWNSHIP + (z % 2) * 12:][:12]
        JointCommitteeVillage.objects.bulk_create(JointCommitteeVillage(committee=committee, village=v, joined_on=dt.date(2022, 1, 1)) for v in mine)
    for v in villages[7 * PER_TOWNSHIP:][:PER_TOWNSHIP:10] + villages[::500]:  # saved one by one, as a form does
        for n in range(3):
            Homestead.objects.create(
                village=v, parcel_code=f"{v.code}JC{n:05d}", holder_name="张三", holder_id_number="370830199001011236",
                area=Decimal("120.50"), use="idle" if n == 0 else "occupied", surveyed_on=dt.date(2023, 5, 1))
    return townships, villages


def test_the_county_view_of_3600_villages_is_under_200_kb(client, official, city):
    townships, villages = city
    client.force_login(official)
    with CaptureQueriesContext(connection) as queries:
        geo.build()
    assert len(queries.captured_queries) == 2  # the parcels' GROUP BY and the villages, whatever the size
    response = client.get("/dashboard/map/data/")
    payload = response.json()
    size = len(response.content)
    one = client.get(f"/dashboard/map/data/?township={townships[7].pk}")
    every_village = len(json.dumps([[v.pk, v.name, 35.123456, 116.123456, 2, 1, 600, 72000, 40, v.township_id] for v in villages],
                                   ensure_ascii=False, separators=(",", ":")).encode())
    print(f"\nmap data, {len(villages)} villages in {len(townships)} townships: county view {size / 1024:.1f} KB "
          f"(every village would be {every_village / 1024:.1f} KB), one township {len(one.content) / 1024:.1f} KB")
    assert size < 200 * 1024 and len(one.content) < 20 * 1024
    assert payload["villages"] == [] and len(payload["townships"]) == TOWNSHIPS and len(payload["zones"]) == TOWNSHIPS * 2
    fields = payload["township_fields"]
    town = dict(zip(fields, next(t for t in payload["townships"] if t[0] == townships[7].pk)))
    mine = [v for v in villages if v.township_id == townships[7].pk]
    assert town["villages"] == PER_TOWNSHIP and town["tiers"] == [8, 8, 8]
    assert town["lat"] == round(float(sum(v.latitude for v in mine)) / len(mine), 5)  # the mean of its villages' places
    assert town["lng"] == round(float(sum(v.longitude for v in mine)) / len(mine), 5)
    assert (town["parcels"], town["idle"], town["area"]) == (9, 3, 1084)  # 3 villages' 3 parcels of 120.50 m², one idle each
    assert sum(t[fields.index("parcels")] for t in payload["townships"]) == Homestead.objects.count()
    assert len(one.json()["villages"]) == PER_TOWNSHIP and one.json()["level"] == "township"
    zone = next(z for z in payload["zones"] if z[1] == "第14片区联合党委")  # township 7's first zone: an outline, not its villages
    assert 3 <= len(zone[2]) <= 12
