"""The demo city: 济宁市 (370800) and its 12 county-level units, built deterministically
(``python manage.py load_demo --city``).

Wenshang comes first and exactly as ``load_demo`` builds it alone (the same seed, the same streams in
the same order: its records, ids included, and its 50 article figures are the same). The other 11
counties follow in code order, each with its real townships (``data/jining_townships.csv``, the 济宁市
rows of ``../shared/data/shandong_townships.csv``), villages and records at Wenshang's density: each
county's figures are Wenshang's scaled by its number of townships (× ``scale``, × a factor between 0.9
and 1.1 drawn from the county's own seed), its villages placed around the county's real position,
its division codes, ID numbers and credit codes beginning with its own code. About 10x Wenshang in
all (158 townships, ~3,600 villages, ~2,100,000 homestead parcels).

Every table is written as Wenshang's are (``DemoCounty.save``: a streamed COPY and the change log in
bulk), all in one transaction; the figure aggregates (``wenshang.web.aggregates``) and the search index
are rebuilt once, at the end, from the records (as after a restore) rather than kept at every write.
"""
import csv
import math
import random
import time
from decimal import Decimal
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.db import transaction

from villages import models as vm
from wenshang.demo.build import (
    DEMO_PASSWORD,
    FIGURES_CSV,
    SEED,
    VILLAGE_COUNTS,
    WENSHANG,
    CountySpec,
    DemoCounty,
    apportion,
    targets,
    wenshang_spec,
)
from wenshang.kernel import audit
from wenshang.kernel.bulk import fast_insert
from wenshang.kernel.choices import Role
from wenshang.kernel.models import User
from wenshang.web import aggregates, search

CITY = ("370800", "济宁市")
TOWNSHIPS_CSV = Path(__file__).resolve().parent / "data" / "jining_townships.csv"
BASE_TOWNSHIPS = len(VILLAGE_COUNTS)  # Wenshang's 15: the unit of the other counties' size
BASE_VILLAGES = sum(VILLAGE_COUNTS.values())  # 346

# Rough position (lat, lng) of each county-level unit's seat; its townships are spread around it (``spread``).
CENTRES = {
    "370811": (35.40, 116.60), "370812": (35.56, 116.79), "370826": (34.93, 117.03), "370827": (35.01, 116.65),
    "370828": (35.07, 116.31), "370829": (35.41, 116.34), "370830": (35.727, 116.497), "370831": (35.66, 117.25),
    "370832": (35.80, 116.10), "370871": (35.40, 116.72), "370881": (35.59, 117.00), "370883": (35.41, 117.01),
}
# The name in banks', companies' and contracts' names (嘉祥农村商业银行, 嘉集建入市…): the name less 县/区/市.
SHORT = {"370871": "高新区"}
# Figures that are the county's own structure, not its size: kept as Wenshang's.
FIXED = {"national_demo_villages", "task_force_units", "recruiting_stations", "agri_parks", "smart_agri_bases", "agri_loan_growth_pct"}


def jining():
    """[(county code, county name, [(township code, township name)])] of 济宁市, in code order."""
    counties = {}
    with TOWNSHIPS_CSV.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            counties.setdefault((row["county_code"], row["county_name"]), []).append((row["code"], row["name"]))
    return [(code, name, sorted(townships)) for (code, name), townships in sorted(counties.items())]


def county_seed(code, seed=SEED):
    """A county's own seed (its streams seed, seed + 1, seed + 2 never meet another county's)."""
    return seed + 100 * int(code)


def units():
    with FIGURES_CSV.open(encoding="utf-8") as fh:
        return {row["key"]: row["unit"] for row in csv.DictReader(fh)}


def scaled_targets(base, factor):
    """Wenshang's figures for a county ``factor`` times its size: counts rounded (at least 1), money to
    10,000 yuan, areas to 0.01 mu; the county's structure (``FIXED``) as it is. The builder adjusts
    what the county's villages do not allow (``DemoCounty.cap``, ``floor``) and records what its
    structure gives (``fix``)."""
    unit = units()
    out = {}
    for key, value in base.items():
        if key in FIXED:
            out[key] = value
        elif unit[key] == "yuan":
            out[key] = max(Decimal(100_000), (value * Decimal(factor) / 10_000).quantize(Decimal(1)) * 10_000)
        elif unit[key] == "mu":
            out[key] = max(Decimal(1), (value * Decimal(factor)).quantize(Decimal("0.01")))
        else:
            out[key] = Decimal(max(1, round(float(value) * factor)))
    return out


def spread(n, radius, rng):
    """``n`` township positions (lat, lng offsets) filling a disc of ``radius`` degrees (a sunflower)."""
    turn = rng.uniform(0, 2 * math.pi)
    golden = math.pi * (3 - math.sqrt(5))
    out = []
    for i in range(n):
        r = radius * math.sqrt((i + 0.5) / n)
        a = turn + i * golden
        out.append((round(r * math.sin(a), 3), round(r * math.cos(a) * 1.2, 3)))
    return out


def county_spec(code, name, townships, scale=1.0, seed=SEED, city=None):
    """Another county of the city: its townships, its villages per township, its place, its figures."""
    own = county_seed(code, seed)
    rng = random.Random(f"{own}:size")
    factor = len(townships) / BASE_TOWNSHIPS * scale * rng.uniform(0.9, 1.1)
    villages = max(3 * len(townships), round(BASE_VILLAGES * factor))
    counts = apportion(villages, [rng.uniform(0.75, 1.25) for _ in townships], minimum=3)
    offsets = spread(len(townships), 0.17 * math.sqrt(len(townships) / BASE_TOWNSHIPS), rng)
    return CountySpec(
        code=code, name=name, short=SHORT.get(code, name[:-1]), townships=townships,
        village_counts={t: c for (t, _), c in zip(townships, counts)}, centre=CENTRES[code], offsets=offsets,
        target=scaled_targets(targets(), factor), seed=own, factor=factor, city=city, portal_users=False,
    )


def city_specs(scale=1.0, seed=SEED, city=None, only=None):
    """The city's counties to build, Wenshang first (as ``load_demo`` builds it alone), then the others
    in code order; ``only``: their codes (Wenshang is always built)."""
    specs = [wenshang_spec(seed, city=city)]
    for code, name, townships in jining():
        if code != WENSHANG and (only is None or code in only):
            specs.append(county_spec(code, name, townships, scale, seed, city))
    return specs


class DemoCity:
    """济宁市: ``build()`` makes the city, its counties one after the other, its users, the search
    index; returns {model label: rows}. ``log`` is told each county and topic with rows/s."""

    def __init__(self, scale=1.0, seed=SEED, only=None, log=None):
        self.scale, self.seed, self.only = scale, seed, only
        self.log = log or (lambda msg: None)
        self.counts = {}
        self.counties = []  # [(code, name, rows, seconds)]

    def build(self):
        with transaction.atomic(), audit.actor(None, "command:load_demo"):
            with aggregates.suspended():  # kept at every write, they would cost a tenth of the build: rebuilt once below
                self.build_counties()
            started = time.perf_counter()
            aggregates.rebuild()
            self.log(f"figure aggregates rebuilt from the records in {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            entries = sum(search.rebuild().values())
            self.log(f"search index: {entries:,} entries in {time.perf_counter() - started:.1f} s")
        return self.counts

    def build_counties(self):
        """The city, its counties one after the other (each logged as it is built), the city official."""
        started = time.perf_counter()
        city = vm.City(code=CITY[0], name=CITY[1])
        fast_insert(vm.City, [city])
        audit.log_bulk_create(vm.City, [city])
        self.counts[vm.City._meta.label] = 1
        specs = city_specs(self.scale, self.seed, city, self.only)
        for i, spec in enumerate(specs, 1):
            self.log(f"[{i}/{len(specs)}] {spec.code} {spec.name}: {len(spec.townships)} townships, "
                     f"{sum(spec.village_counts.values())} villages, ~{int(spec.target['homestead_parcels']):,} parcels "
                     f"(× {spec.factor:.2f} Wenshang)")
            county_started = time.perf_counter()
            counts = DemoCounty(spec=spec, log=self.log).build(index=False)
            seconds = time.perf_counter() - county_started
            rows = sum(counts.values())
            for label, n in counts.items():
                self.counts[label] = self.counts.get(label, 0) + n
            self.counties.append((spec.code, spec.name, rows, seconds))
            elapsed = time.perf_counter() - started
            self.log(f"  {spec.name}: {rows:,} rows in {seconds:.1f} s ({rows / seconds:,.0f} rows/s); "
                     f"city so far {sum(self.counts.values()):,} rows in {elapsed:.0f} s")
        user = User(username="city", role=Role.OFFICIAL, city=city, is_staff=True, first_name=f"{CITY[1]}领导",
                    password=make_password(DEMO_PASSWORD))
        User.objects.bulk_create([user])

__all__ = ["CITY", "DemoCity", "city_specs", "county_seed", "county_spec", "jining", "scaled_targets"]
