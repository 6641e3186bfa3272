"""The county map's data (一图观全貌): every village with its place, tier, joint committee and its
homestead parcels aggregated (count, area, idle parcels), as compact arrays so that the whole
county stays well under 200 KB. Two SQL queries, cached like the dashboards (``data._key``)."""
from django.core.cache import cache
from django.db.models import Count, Q, Sum

from . import data as dash

# The order of a village's array in the payload.
FIELDS = ["id", "name", "lat", "lng", "tier", "zone", "parcels", "area", "idle", "township"]


def tier_labels():
    from villages.choices import Tier

    return [[value, str(label)] for value, label in Tier.choices]


def build(township=None):
    from finance.choices import HomesteadUse
    from finance.models import Homestead
    from villages.choices import Tier
    from villages.models import Village

    parcels = {
        r["village_id"]: r
        for r in dash._in(Homestead.objects.all(), "village__township", township).order_by()
        .values("village_id").annotate(n=Count("pk"), area=Sum("area"), idle=Count("pk", filter=Q(use=HomesteadUse.IDLE)))
    }
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
        p = parcels.get(v["pk"], {})
        names[v["township_id"]] = v["township__name"]
        zone = v["zone_membership__committee_id"]
        if zone:
            zones[zone] = v["zone_membership__committee__name"]
        villages.append([
            v["pk"], v["name"],
            float(v["latitude"]) if v["latitude"] is not None else None,
            float(v["longitude"]) if v["longitude"] is not None else None,
            tiers.get(v["tier"], 0), zone or 0,
            p.get("n", 0), round(float(p.get("area") or 0)), p.get("idle", 0), v["township_id"],
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
