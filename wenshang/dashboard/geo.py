"""The county map's data (一图观全貌): every village with its place, tier, joint committee and its
homestead parcels aggregated (count, area, idle parcels: the metrics ``homestead_parcels``,
``homestead_area`` and ``homestead_idle`` per village), as compact arrays so that the whole county
stays well under 200 KB. Two SQL queries, cached like the dashboards (``data._key``)."""
from django.core.cache import cache

from villages.choices import Tier
from villages.models import Village
from wenshang.dashboard import data as dash
from wenshang.web import figures

# The order of a village's array in the payload.
FIELDS = ["id", "name", "lat", "lng", "tier", "zone", "parcels", "area", "idle", "township"]

# The metrics of a village's parcels, area and idle parcels (see ``finance/metrics.py``).
PARCEL_METRICS = ("homestead_parcels", "homestead_area", "homestead_idle")


def tier_labels():
    return [[value, str(label)] for value, label in Tier.choices]


def build(township=None):
    values = figures.per_village_values(PARCEL_METRICS, township)  # one GROUP BY query
    parcels, area, idle = (values[key] for key in PARCEL_METRICS)
    tiers = {value: i for i, value in enumerate(Tier.values)}
    villages = []
    zones, names = {}, {}
    rows = (
        dash._in(Village.objects.all(), "township", township)
        .order_by("code")
        .values("pk", "name", "latitude", "longitude", "tier", "township_id", "township__name",
                "zone_membership__committee_id", "zone_membership__committee__name")
    )
    for v in rows:
        pk = v["pk"]
        names[v["township_id"]] = v["township__name"]
        zone = v["zone_membership__committee_id"]
        if zone:
            zones[zone] = v["zone_membership__committee__name"]
        villages.append([
            pk, v["name"],
            float(v["latitude"]) if v["latitude"] is not None else None,
            float(v["longitude"]) if v["longitude"] is not None else None,
            tiers.get(v["tier"], 0), zone or 0,
            parcels.get(pk, 0), round(float(area.get(pk) or 0)), idle.get(pk, 0), v["township_id"],
        ])
    return {"fields": FIELDS, "villages": villages, "zones": [[k, v] for k, v in sorted(zones.items())],
            "townships": [[k, v] for k, v in sorted(names.items())]}


def get(township=None):
    key = dash._key(township) + ":map"
    payload = cache.get(key)
    if payload is None:
        payload = build(township)
        cache.set(key, payload, dash.CACHE_SECONDS)
    return payload
