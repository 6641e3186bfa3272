"""The map's data (一图观全貌), at two levels, so that what a county (or a city) sends stays small
whatever the number of its villages:

- **the county** (``build()``, no township): each township as one aggregate — its place (the mean
  of its villages' coordinates), its villages by tier and its homestead parcels (count, area, idle
  parcels) — and each joint-committee zone as the outline around its villages (a convex hull, made
  here, not in the browser). No village: 150 townships of a city fit in a few dozen KB where 3,460
  villages were 229 KB;
- **a township** (``build(township)``): every village with its place, tier, zone and parcels, as
  compact arrays, and its zones' outlines. The county map loads a township's villages this way
  when it is zoomed in or clicked (``?township=<id>``); a township's staff get theirs at once.

The parcels, area and idle parcels of a village are the metrics ``homestead_parcels``,
``homestead_area`` and ``homestead_idle`` (``figures.per_village_values``); a township's are its
villages' added up. Two SQL queries at either level, cached like the dashboards (``data._key``)."""
from django.core.cache import cache

from villages.choices import Tier
from villages.models import Village
from wenshang.dashboard import data as dash
from wenshang.web import figures

# The order of a village's array in the payload.
FIELDS = ["id", "name", "lat", "lng", "tier", "zone", "parcels", "area", "idle", "township"]
# The order of a township's array in the county's payload (``tiers``: its villages of each tier).
TOWNSHIP_FIELDS = ["id", "name", "lat", "lng", "villages", "parcels", "area", "idle", "tiers"]

# The metrics of a village's parcels, area and idle parcels (see ``finance/metrics.py``).
PARCEL_METRICS = ("homestead_parcels", "homestead_area", "homestead_idle")
PLACES = 5  # decimals of a coordinate sent (about a metre)


def tier_labels():
    return [[value, str(label)] for value, label in Tier.choices]


def hull(points):
    """The convex hull of ``points`` ([[lat, lng]]), counter-clockwise (Andrew's monotone chain);
    fewer than three distinct points are returned as they are."""
    p = sorted({(lat, lng) for lat, lng in points}, key=lambda q: (q[1], q[0]))
    if len(p) < 3:
        return [list(q) for q in p]

    def cross(o, a, b):
        return (a[1] - o[1]) * (b[0] - o[0]) - (a[0] - o[0]) * (b[1] - o[1])

    lower, upper = [], []
    for q in p:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], q) <= 0:
            lower.pop()
        lower.append(q)
    for q in reversed(p):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], q) <= 0:
            upper.pop()
        upper.append(q)
    return [list(q) for q in lower[:-1] + upper[:-1]]


def _villages(township, county=None):
    values = figures.per_village_values(PARCEL_METRICS, township, county=county if township is None else None)  # one query
    parcels, area, idle = (values[key] for key in PARCEL_METRICS)
    tiers = {value: i for i, value in enumerate(Tier.values)}
    rows = (
        dash._in(Village.objects.all(), "township", township, county)
        .order_by("code")
        .values("pk", "name", "latitude", "longitude", "tier", "township_id", "township__name",
                "zone_membership__committee_id", "zone_membership__committee__name")
    )
    for v in rows:
        pk = v["pk"]
        yield v, float(area.get(pk) or 0), [
            pk, v["name"],
            float(v["latitude"]) if v["latitude"] is not None else None,
            float(v["longitude"]) if v["longitude"] is not None else None,
            tiers.get(v["tier"], 0), v["zone_membership__committee_id"] or 0,
            parcels.get(pk, 0), round(float(area.get(pk) or 0)), idle.get(pk, 0), v["township_id"],
        ]


def _zones(places, names):
    """[[id, name, outline]] of the zones: the hull of their villages' places."""
    return [[k, names[k], [[round(lat, PLACES), round(lng, PLACES)] for lat, lng in hull(places.get(k, []))]]
            for k in sorted(names)]


def build(township=None, county=None):
    """The payload of the county (``township`` None: townships as aggregates, no village; ``county``:
    that county's, in a database of several) or of one township (its villages)."""
    zones, places, names = {}, {}, {}
    if township is not None:
        villages = []
        for v, _area, row in _villages(township):
            names[v["township_id"]] = v["township__name"]
            zone = v["zone_membership__committee_id"]
            if zone:
                zones[zone] = v["zone_membership__committee__name"]
                if row[2] is not None and row[3] is not None:
                    places.setdefault(zone, []).append((row[2], row[3]))
            villages.append(row)
        return {"level": "township", "fields": FIELDS, "villages": villages, "zones": _zones(places, zones),
                "townships": [[k, v] for k, v in sorted(names.items())]}
    towns = {}
    for v, area, row in _villages(None, county):
        _, _, lat, lng, tier, zone, parcels, _rounded, idle, t = row
        town = towns.get(t)
        if town is None:
            town = towns[t] = {"name": v["township__name"], "lat": 0.0, "lng": 0.0, "placed": 0, "n": 0,
                               "parcels": 0, "area": 0, "idle": 0, "tiers": [0] * len(Tier.values)}
        town["n"] += 1
        town["parcels"] += parcels
        town["area"] += area
        town["idle"] += idle
        town["tiers"][tier] += 1
        if lat is not None and lng is not None:
            town["lat"] += lat
            town["lng"] += lng
            town["placed"] += 1
            if zone:
                places.setdefault(zone, []).append((lat, lng))
        if zone:
            zones[zone] = v["zone_membership__committee__name"]
    townships = []
    for k in sorted(towns):
        t = towns[k]
        placed = t["placed"]
        townships.append([
            k, t["name"],
            round(t["lat"] / placed, PLACES) if placed else None, round(t["lng"] / placed, PLACES) if placed else None,
            t["n"], t["parcels"], round(t["area"]), t["idle"], t["tiers"],
        ])
    return {"level": "county", "fields": FIELDS, "villages": [], "township_fields": TOWNSHIP_FIELDS,
            "townships": townships, "zones": _zones(places, zones)}


def get(township=None, county=None):
    county = county if township is None else None
    key = dash._key(township, county) + ":map:v2"
    payload = cache.get(key)
    if payload is None:
        payload = build(township, county)
        cache.set(key, payload, dash.ttl(key))
    return payload
