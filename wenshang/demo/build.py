"""The demo county: Wenshang as of 2024-06-30, built deterministically from a fixed seed.

Every headline figure of the article (``wenshang/data/seed_figures.csv``) comes out when
computed from these records by ``wenshang.web.figures``: the generator draws records of every kind
with realistic variety and splits the article's totals among them (largest-remainder
apportionment), so counts, sums and distinct counts land exactly on the article's numbers.

Fast by design: every table is written with ``bulk_create`` and its change log with
``audit.log_bulk_create`` (the 199,900 parcels included).

The apps add rows of their own after the topics here (``app_rows``): ``<app>/demo.py`` with
``rows(county)``, drawing only from ``county.extra_random(name)`` (``wenshang.kernel.demo_rows``).

The same builder makes any county (``CountySpec``: its code, name, townships, villages per township,
place, figures and seed; ``wenshang.demo.city`` makes the other counties of Jining with it). Wenshang
(``wenshang_spec()``) is built to the article's figures; every size and count that differs for another
county goes through ``n()`` (Wenshang's number as it is, another county's in proportion), ``cap()`` and
``fix()`` (no-ops for Wenshang), so Wenshang's records, drawn in the same order from the same streams,
stay the same.
"""
import csv
import datetime as dt
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import import_module
from itertools import accumulate
from pathlib import Path
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.db.models.base import ModelState
from django.utils.module_loading import module_has_submodule

from alliances import choices as ac
from alliances import models as am
from finance import choices as fc
from finance import models as fm
from grids import choices as gc
from grids import models as gm
from talent import choices as tc
from talent import models as tm
from villages import choices as vc
from villages import models as vm
from wenshang.closing import services as closing
from wenshang.dashboard import targets as T
from wenshang.demo import names as N
from wenshang.kernel import audit, demo_rows
from wenshang.kernel.bulk import fast_insert
from wenshang.kernel.choices import Domain, Role
from wenshang.kernel.models import User
from wenshang.kernel.validators import CREDIT_CHARSET, credit_check_char, id_check_char
from wenshang.web import search
from wenshang.web.figures import catalogue

SEED = 20240630
WENSHANG = "370830"  # the article's county
FEATURED = ("370830104", "东石楼村")  # 寅寺镇 东石楼村, the article's village
START = dt.date(2021, 1, 1)
AS_OF = dt.date(2024, 6, 30)
TZ = ZoneInfo("Asia/Shanghai")
END_OF_DATA = dt.datetime(2024, 6, 30, 23, 59, tzinfo=TZ)
DEMO_PASSWORD = "demo12345"
TOWNSHIPS_CSV = Path(settings.BASE_DIR) / "villages" / "data" / "wenshang_townships.csv"
FIGURES_CSV = Path(settings.BASE_DIR) / "wenshang" / "data" / "seed_figures.csv"

# Villages and communities per township (346 in all).
VILLAGE_COUNTS = {
    "370830001": 28, "370830002": 22, "370830003": 14, "370830102": 26, "370830103": 25,
    "370830104": 23, "370830105": 24, "370830106": 27, "370830107": 22, "370830108": 24,
    "370830109": 25, "370830110": 22, "370830111": 22, "370830112": 20, "370830205": 22,
}
# Rough position of each township around the county seat (lat, lng).
CENTRE = (35.727, 116.497)
OFFSETS = [
    (0.00, 0.00), (0.02, 0.03), (-0.03, 0.01), (-0.10, -0.08), (0.08, -0.10), (0.13, 0.04), (0.06, 0.14),
    (-0.06, 0.12), (0.15, -0.04), (-0.12, 0.04), (-0.02, -0.14), (0.10, 0.10), (-0.08, -0.02), (0.04, -0.05),
    (-0.14, 0.13),
]
CN_DIGITS = "零一二三四五六七八九"
# Another county's parks (its short name before each) and agricultural parks (projects).
PARKS = ["经济开发区", "现代农业科技园", "高效农业示范园", "化工产业园", "纺织服装产业园", "食品产业园", "文化旅游产业园",
         "光伏产业园", "农产品加工园", "电商产业园", "现代物流园", "中药材产业园", "农机产业园", "人才创业园", "蔬菜产业园",
         "花卉产业园", "畜牧产业园", "粮食产业园"]
AGRI_PARKS = ["现代农业产业园", "高效农业示范园", "特色养殖产业园", "粮食产业园", "蔬菜产业园", "花卉种业园"]


@dataclass
class CountySpec:
    """One demo county: what the builder needs to know of it.

    ``townships``: [(9-digit code, name)] in code order; ``village_counts``: {township code: villages
    and communities}; ``offsets``: each township's place (lat, lng) from ``centre``; ``target``: the
    figures it is built to ({key: Decimal}); ``factor``: its size against Wenshang's records (1: the
    article's numbers as they are); ``short``: the name in banks' and companies' names (汶上);
    ``city``: the saved ``villages.City`` of a city's demo, or None."""

    code: str
    name: str
    townships: list
    village_counts: dict
    centre: tuple
    offsets: list
    target: dict
    seed: int = SEED
    factor: float = 1.0
    short: str = ""
    city: object = None
    portal_users: bool = True  # admin, leader and finance (the first county of a database)
    extra: dict = field(default_factory=dict)

    @property
    def exact(self):
        """Built to the article: every count as it is, every figure checked."""
        return self.code == WENSHANG and self.factor == 1


def wenshang_spec(seed=SEED, city=None):
    """Wenshang as the article describes it."""
    with TOWNSHIPS_CSV.open(encoding="utf-8") as fh:
        townships = [(row["code"], row["name"]) for row in csv.DictReader(fh)]
    return CountySpec(code=WENSHANG, name="汶上县", short="汶上", townships=townships, village_counts=dict(VILLAGE_COUNTS),
                      centre=CENTRE, offsets=list(OFFSETS), target=targets(), seed=seed, city=city)


def targets():
    """The article's figures the demo is built to: {key: Decimal}."""
    with FIGURES_CSV.open(encoding="utf-8") as fh:
        return {row["key"]: Decimal(row["value"]) for row in csv.DictReader(fh)}


def apportion(total, weights, minimum=0):
    """Split the whole number ``total`` by ``weights`` (largest remainder), each at least ``minimum``."""
    n = len(weights)
    rest = total - minimum * n
    if rest < 0:
        raise ValueError("total too small for the minimum")
    s = float(sum(weights))
    raw = [rest * w / s for w in weights]
    parts = [int(r) for r in raw]
    order = sorted(range(n), key=lambda i: raw[i] - parts[i], reverse=True)
    for i in order[: rest - sum(parts)]:
        parts[i] += 1
    return [p + minimum for p in parts]


def cn_number(n):
    """1 → 一, 12 → 十二, 25 → 二十五 (for grid and sub-alliance names)."""
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return (CN_DIGITS[tens] if tens > 1 else "") + "十" + (CN_DIGITS[ones] if ones else "")


def quick(model, parent):
    """A fast maker of unsaved ``model`` instances, ``make(parent object, **values)``: the field defaults,
    the values given, the parent (a foreign key) cached as ``Model(parent=…, …)`` would. A quarter of
    the time of ``Model(**values)``, for the big tables (no ``pre_init``/``post_init`` receivers here)."""
    field = model._meta.get_field(parent)
    defaults = {f.attname: f.get_default() for f in model._meta.concrete_fields}

    def make(parent_obj, **values):
        obj = model.__new__(model)
        obj._state = ModelState()
        obj.__dict__.update(defaults)
        obj.__dict__.update(values)
        obj.__dict__[field.attname] = parent_obj.pk
        obj._state.fields_cache[field.name] = parent_obj
        return obj

    return make


def _county_field(model):
    """The model's foreign key ``county`` to ``villages.County``, if it has one."""
    try:
        f = model._meta.get_field("county")
    except FieldDoesNotExist:
        return None
    return f if getattr(f, "related_model", None) is vm.County and f.concrete else None


def app_demos():
    """[(app label, rows function)]: the ``rows(county)`` of every installed app's ``demo.py``, in app order
    (not this package: it is the ``demo`` of the wenshang app, and the builder itself)."""
    found = []
    for config in apps.get_app_configs():
        name = f"{config.name}.{demo_rows.MODULE}"
        if name == __package__ or not module_has_submodule(config.module, demo_rows.MODULE):
            continue
        rows = getattr(import_module(name), demo_rows.FUNCTION, None)
        if not callable(rows):
            raise TypeError(f"{name} defines no {demo_rows.FUNCTION}(county)")
        found.append((config.label, rows))
    return found


class DemoCounty:
    def __init__(self, seed=SEED, log=None, spec=None):
        self.spec = spec or wenshang_spec(seed)
        self.seed = seed = self.spec.seed
        self.code = self.spec.code
        self.factor = self.spec.factor
        self.rng = random.Random(seed)
        # A second stream for what makes the county look alive in the latest quarters (new pairings and
        # reserve cadres in 2024, reserve cadres' training): drawn apart, it leaves the main stream's
        # records as they were.
        self.life = random.Random(seed + 1)
        self.log = log or (lambda msg: None)
        self.target = dict(self.spec.target)
        self.used_ids = set()
        self.counts = {}
        # The county's own names: its departments (县委组织部, 区委组织部 in a district, 市委… in a city) and banks.
        self.level = self.spec.name[-1] if self.spec.name[-1] in "县区市" else "区"
        self.units = [self.dept(u) for u in N.COUNTY_UNITS]
        self.banks = [self.local(b) for b in N.BANKS]

    # ---- another county than Wenshang: counts in proportion, names of its own --------------------
    def n(self, count):
        """A count of Wenshang's build (a sample, a list's length), in proportion for another county."""
        return count if self.factor == 1 else max(1, round(count * self.factor))

    def part(self, count, of, base):
        """Wenshang's ``count`` of its ``base`` things (330 of its 346 villages), for this county's ``of``."""
        return count if self.spec.exact else min(of, round(count * of / base))

    def cap(self, key, limit):
        """Another county's figure ``key`` at most ``limit`` (what its villages allow); Wenshang's as it is."""
        if not self.spec.exact and self.target[key] > limit:
            self.target[key] = Decimal(limit)

    def floor(self, key, limit):
        """Another county's figure ``key`` at least ``limit``; Wenshang's as it is."""
        if not self.spec.exact and self.target[key] < limit:
            self.target[key] = Decimal(limit)

    def fix(self, key, value):
        """The figure ``key`` as built: checked against the article for Wenshang, recorded for another county."""
        if self.spec.exact:
            assert value == self.ti(key), (key, value, self.ti(key))
        else:
            self.target[key] = Decimal(value)

    def dept(self, name):
        """A county department (县农业农村局) as this county calls it (区农业农村局 in a district)."""
        return name if self.spec.exact else name.replace("县", self.level, 1)

    def local(self, text):
        """A name of Wenshang's (汶上县…, 汶上农村商业银行) for this county."""
        return text if self.spec.exact else text.replace("汶上县", self.spec.name).replace("汶上", self.spec.short)

    # ---- small helpers ------------------------------------------------------------------------
    def save(self, model, objs):
        """Insert in bulk and record every row in the change log. A record of a model with a ``county``
        (a county's catalogue: survey rounds, alliances, party schools …) belongs to this county unless
        it says otherwise."""
        county = _county_field(model)
        if county is not None and model is not vm.Township:
            for obj in objs:
                if obj.__dict__.get(county.attname) is None and not county.is_cached(obj):
                    obj.county = self.county
        fast_insert(model, objs)
        audit.log_bulk_create(model, objs)
        self.counts[model._meta.label] = self.counts.get(model._meta.label, 0) + len(objs)
        return objs

    def extra_random(self, name):
        """A random stream of an app's ``demo.py`` (``wenshang.kernel.demo_rows``), apart from the build's."""
        return demo_rows.stream(self.seed, name)

    def life_date(self, start, end):
        return start + dt.timedelta(days=self.life.randrange((end - start).days + 1))

    def date(self, start=START, end=AS_OF):
        return start + dt.timedelta(days=self.rng.randrange((end - start).days + 1))

    def moment(self, day, hour_from=8, hour_to=18):
        return dt.datetime(day.year, day.month, day.day, self.rng.randrange(hour_from, hour_to), self.rng.randrange(60), tzinfo=TZ)

    def name(self, gender=None):
        gender = gender or self.rng.choice("MF")
        pool = N.MALE_GIVEN if gender == "M" else N.FEMALE_GIVEN
        return self.rng.choice(N.SURNAMES) + self.rng.choice(pool)

    def phone(self):
        return self.rng.choice(["13", "15", "18", "17", "19"]) + str(self.rng.randrange(10)) + f"{self.rng.randrange(10**8):08d}"

    def id_number(self, birth, gender):
        while True:
            seq = self.rng.randrange(500) * 2 + (1 if gender == "M" else 0)
            first = f"{self.code}{birth:%Y%m%d}{seq:03d}"
            if first not in self.used_ids:
                self.used_ids.add(first)
                return first + id_check_char(first)

    def birth(self, year_from, year_to):
        return self.date(dt.date(year_from, 1, 1), dt.date(year_to, 12, 31))

    def person(self, township, village=None, born=(1960, 1995), gender=None, party=0.3, workplace=""):
        gender = gender or self.rng.choice("MF")
        birth = self.birth(*born)
        return tm.Person(
            name=self.name(gender), id_number=self.id_number(birth, gender), gender=gender, birth_date=birth,
            phone=self.phone(), township=township, village=village,
            education=self.rng.choice(tc.Education.values[1:]), is_party_member=self.rng.random() < party,
            workplace=workplace,
        )

    def credit_code(self):
        org = f"{self.rng.randrange(10**7, 10**8)}"
        weights = [3, 7, 9, 10, 5, 8, 4, 2]
        c = 11 - sum(int(d) * w for d, w in zip(org, weights)) % 11
        org += {10: "X", 11: "0"}.get(c, str(c))
        first = self.rng.choice(["91", "92", "93"]) + self.code + org
        assert all(ch in CREDIT_CHARSET for ch in first)
        return first + credit_check_char(first)

    def money(self, low, high, step=100):
        return Decimal(self.rng.randrange(low // step, high // step + 1) * step)

    def split_money(self, total, n, unit, spread=0.6):
        """``n`` amounts of whole ``unit`` yuan that add up to ``total`` exactly."""
        units = int(Decimal(total) / unit)
        assert units * unit == Decimal(total)
        parts = apportion(units, [self.rng.uniform(1 - spread, 1 + spread) for _ in range(n)], minimum=1)
        return [Decimal(p * unit) for p in parts]

    def t(self, key):
        return self.target[key]

    def ti(self, key):
        return int(self.target[key])

    # ---- the county, step by step -------------------------------------------------------------
    def build(self, index=True):
        """Build the county in one transaction; ``index``: rebuild the search index after it (a city
        rebuilds it once, after its last county). Logs each topic: rows, seconds, rows a second."""
        with transaction.atomic(), audit.actor(None, "command:load_demo"):
            steps = [
                self.geography, self.tiers_and_income, self.grids, self.homesteads, self.enterprises,
                self.alliances, self.joint_committees, self.pairings, self.finance_people, self.talent,
                self.first_secretaries, self.projects, self.loans, self.land, self.surveys, self.annual_targets, self.app_rows, self.users,
                self.closed_quarters,
            ]
            for step in steps:
                before, started = sum(self.counts.values()), time.perf_counter()
                step()
                rows, seconds = sum(self.counts.values()) - before, time.perf_counter() - started
                self.log(f"  {step.__name__:<18} {rows:>9,} rows {seconds:>6.1f} s {rows / max(seconds, 1e-3):>9,.0f} rows/s")
            if index:
                started = time.perf_counter()
                self.log(f"  search index: {sum(search.rebuild().values()):,} entries in {time.perf_counter() - started:.1f} s")
        return self.counts

    def closed_quarters(self):
        """2021 Q1 – 2024 Q1 closed (every township approved, the figures frozen), 2024 Q2 open: the
        quarter cycle can be tried at once."""
        periods = [(y, q) for y in range(2021, 2025) for q in range(1, 5) if (y, q) <= (2024, 1)]
        admin = User.objects.filter(role=Role.ADMIN, county=self.county).order_by("pk").first()
        self.counts["quarter close"] = closing.close_history(self.county, periods, admin)

    def geography(self):
        rng = self.rng
        spec = self.spec
        if spec.city is None and spec.exact:  # Wenshang alone belongs to 济宁市 all the same (issue 14)
            spec.city = self.save(vm.City, [vm.City(code="370800", name="济宁市")])[0]
        self.county = self.save(vm.County, [vm.County(code=spec.code, name=spec.name, city=spec.city)])[0]
        townships = []
        for code, name in spec.townships:
            kind = vc.TownshipKind.SUBDISTRICT if name.endswith("街道") else (
                vc.TownshipKind.TOWNSHIP if name.endswith("乡") else vc.TownshipKind.TOWN)
            townships.append(vm.Township(county=self.county, code=code, name=name, kind=kind))
        self.townships = self.save(vm.Township, townships)
        self.by_code = {t.code: t for t in self.townships}
        villages = []
        for index, township in enumerate(self.townships):
            count = spec.village_counts[township.code]
            subdistrict = township.kind == vc.TownshipKind.SUBDISTRICT
            communities = min(count - 1, round(count * 0.45) if subdistrict else rng.choice([1, 1, 2]))
            names = set()
            if township.code == FEATURED[0]:
                names.add(FEATURED[1])
            while len(names) < count - communities:
                name = rng.choice(N.VILLAGE_PREFIXES) + rng.choice(N.VILLAGE_STEMS) + rng.choice(N.VILLAGE_SUFFIXES) + "村"
                if spec.exact or name != FEATURED[1]:  # one 东石楼村 in the city
                    names.add(name)
            community_names = rng.sample(N.COMMUNITY_NAMES, communities)
            lat0, lng0 = spec.centre[0] + spec.offsets[index][0], spec.centre[1] + spec.offsets[index][1]
            ordered = [("community", f"{n}社区") for n in community_names] + [("village", n) for n in sorted(names, key=lambda s: (s != FEATURED[1], s))]
            c_seq, v_seq = 0, 200
            for kind, vname in ordered:
                if kind == "community":
                    c_seq += 1
                    code = f"{township.code}{c_seq:03d}"
                    households = rng.randrange(900, 3200)
                else:
                    v_seq += 1
                    code = f"{township.code}{v_seq:03d}"
                    households = int(min(1700, max(140, rng.lognormvariate(6.0, 0.45))))
                villages.append(vm.Village(
                    township=township, code=code, name=vname, kind=kind, households=households,
                    population=int(households * rng.uniform(2.6, 3.6)),
                    area=Decimal(f"{rng.uniform(0.8, 6.5):.2f}"), is_relief_village=kind == "village" and rng.random() < 0.12,
                    latitude=Decimal(f"{lat0 + rng.uniform(-0.045, 0.045):.6f}"),
                    longitude=Decimal(f"{lng0 + rng.uniform(-0.055, 0.055):.6f}"),
                ))
        # Tiers as the three-year action began; the history follows in tiers_and_income.
        for v in villages:
            v.tier = rng.choices(vc.Tier.values, weights=[0.32, 0.55, 0.13])[0]
            v.tier_2021 = v.tier
        self.villages = villages
        self.rural = [v for v in villages if v.kind == vc.VillageKind.VILLAGE]
        self.dongshilou = next((v for v in villages if v.code.startswith(FEATURED[0]) and v.name == FEATURED[1]), None)
        if self.dongshilou is not None:
            self.dongshilou.tier = self.dongshilou.tier_2021 = vc.Tier.EXCELLENCE
        self.save(vm.Village, villages)
        self.fix("villages", len(villages))
        self.village_by_township = {}
        for v in villages:
            self.village_by_township.setdefault(v.township_id, []).append(v)

    def tiers_and_income(self):
        rng = self.rng
        reasons_up = [
            "年度分类评定：班子战斗力明显增强，集体经济收入稳步增长",
            "跨村联建带动，村集体收入突破目标，群众满意度提升",
            "软弱涣散问题整顿到位，经县委组织部验收合格",
            "党建引领产业发展成效突出，评为先进基层党组织",
        ]
        reasons_down = ["年度评定：班子运转不畅，集体收入下滑", "大调研发现问题整改不力，调整为强基类"]
        changes, honours, incomes = [], [], []
        order = vc.Tier.values
        for v in self.villages:
            tier = v.tier_2021
            changes.append(vm.TierChange(village=v, date=dt.date(2021, 3, 15), from_tier="", to_tier=tier,
                                         reason="村党组织分类推进整体提升三年行动首次分类", decided_by="县委组织部"))
            for year in (2021, 2022, 2023):
                i = order.index(tier)
                roll = rng.random()
                new = tier
                if i == 0 and roll < 0.38:
                    new = order[1]
                elif i == 1 and roll < 0.14:
                    new = order[2]
                elif i == 1 and roll > 0.975:
                    new = order[0]
                elif i == 2 and roll > 0.985:
                    new = order[1]
                if new != tier:
                    up = order.index(new) > i
                    changes.append(vm.TierChange(
                        village=v, date=dt.date(year, 12, rng.randrange(15, 29)), from_tier=tier, to_tier=new,
                        reason=rng.choice(reasons_up if up else reasons_down), decided_by="县委农村工作领导小组"))
                    tier = new
            v.tier = tier
        if self.dongshilou is not None and self.dongshilou.tier != vc.Tier.MODEL:
            changes.append(vm.TierChange(village=self.dongshilou, date=dt.date(2023, 12, 20), from_tier=self.dongshilou.tier,
                                         to_tier=vc.Tier.MODEL, reason=reasons_up[1], decided_by="县委农村工作领导小组"))
            self.dongshilou.tier = vc.Tier.MODEL
        vm.Village.objects.bulk_update(self.villages, ["tier"], batch_size=500)
        self.save(vm.TierChange, changes)
        # Honours: the best villages first; 东石楼村 is a provincial demonstration village.
        ranked = sorted(self.rural, key=lambda v: (order.index(v.tier), rng.random()), reverse=True)
        national = ranked[0] if ranked[0] is not self.dongshilou else ranked[1]
        featured = [self.dongshilou] if self.dongshilou is not None else []
        self.cap("provincial_demo_villages", len(ranked) - 1)
        provincial = featured + [v for v in ranked if v not in (national, self.dongshilou)][: self.ti("provincial_demo_villages") - len(featured)]
        honours.append(vm.VillageHonour(village=national, kind=vc.VillageHonourKind.NATIONAL_GOVERNANCE, year=2022,
                                        awarded_by="中央农办、农业农村部"))
        for v in provincial:
            honours.append(vm.VillageHonour(village=v, kind=vc.VillageHonourKind.PROVINCIAL_REVITALIZATION,
                                            year=rng.choice([2021, 2022, 2023]), awarded_by="山东省委农村工作领导小组"))
        window = ranked[self.n(30):self.n(120)]
        for v in rng.sample(window, min(len(window), self.n(31))):
            honours.append(vm.VillageHonour(village=v, kind=vc.VillageHonourKind.MUNICIPAL_DEMO,
                                            year=rng.choice([2021, 2022, 2023]), awarded_by="济宁市委农村工作领导小组"))
        self.save(vm.VillageHonour, honours)
        base = {vc.Tier.FOUNDATION: (60_000, 160_000), vc.Tier.EXCELLENCE: (150_000, 520_000), vc.Tier.MODEL: (480_000, 2_600_000)}
        for v in self.villages:
            amount = self.money(*base[v.tier_2021])
            for year in (2021, 2022, 2023):
                operating = (amount * Decimal(f"{rng.uniform(0.35, 0.85):.2f}")).quantize(Decimal("1"))
                incomes.append(vm.CollectiveIncome(village=v, year=year, amount=amount, operating=operating))
                amount = (amount * Decimal(f"{rng.uniform(1.03, 1.28):.2f}")).quantize(Decimal("100"))
        self.save(vm.CollectiveIncome, incomes)

    def grids(self):
        rng = self.rng
        self.floor("grids", 2 * len(self.villages))
        counts = apportion(self.ti("grids"), [v.households for v in self.villages], minimum=2)
        grids, workers, households, records, events, halls, sessions = [], [], [], [], [], [], []
        for v, n in zip(self.villages, counts):
            split = apportion(v.households, [rng.uniform(0.7, 1.3) for _ in range(n)], minimum=0)
            for i in range(n):
                grids.append(gm.Grid(village=v, code=f"{v.code}{i + 1:03d}", name=f"第{cn_number(i + 1)}网格",
                                     households=split[i], population=int(split[i] * rng.uniform(2.6, 3.5))))
        self.save(gm.Grid, grids)
        self.grid_list = grids
        lanes = ["幸福街", "和谐路", "文明巷", "振兴街", "富民路", "前街", "后街", "东胡同", "西胡同", "中心街", "学堂巷", "新村路"]
        for g in grids:
            start = self.date(dt.date(2021, 1, 1), dt.date(2021, 6, 30))
            workers.append(gm.GridWorker(grid=g, name=self.name(), role=gc.WorkerRole.LEADER, phone=self.phone(), start_date=start))
            for _ in range(rng.choice([1, 1, 2])):
                workers.append(gm.GridWorker(grid=g, name=self.name(), role=gc.WorkerRole.WORKER, phone=self.phone(), start_date=start))
            for lane in rng.sample(lanes, rng.choice([0, 1, 1, 2])):
                workers.append(gm.GridWorker(grid=g, name=self.name(), role=gc.WorkerRole.LANE_CHIEF, phone=self.phone(),
                                             lane=lane, start_date=self.date(dt.date(2021, 3, 1), dt.date(2022, 12, 31))))
        self.save(gm.GridWorker, workers)
        reasons = {
            gc.CreditCategory.VOLUNTEER: ["参加志愿服务活动", "参与疫情防控志愿服务", "义务清扫街巷", "参加邻里互助"],
            gc.CreditCategory.ENVIRONMENT: ["庭院整洁评为美丽庭院", "门前三包落实到位", "垃圾分类做得好"],
            gc.CreditCategory.FIVE_HARMONIES: ["评为五好家庭", "孝老爱亲事迹突出", "邻里和睦调解纠纷"],
            gc.CreditCategory.PENALTY: ["乱堆乱放经劝导未整改", "违规焚烧秸秆", "私搭乱建"],
        }
        for g in grids:
            for _ in range(5):
                gender = rng.choice("MF")
                birth = self.birth(1950, 1990)
                hh = gm.Household(grid=g, head_name=self.name(gender), head_id_number=self.id_number(birth, gender),
                                  members=rng.randrange(1, 7), address=f"{g.village.name}{rng.randrange(1, 300)}号")
                total = 0
                for _ in range(rng.randrange(2, 6)):
                    category = rng.choices(list(reasons), weights=[4, 3, 2, 1])[0]
                    points = -rng.choice([2, 5, 10]) if category == gc.CreditCategory.PENALTY else rng.choice([2, 3, 5, 10])
                    total += points
                    records.append(gm.CreditRecord(household=hh, date=self.date(dt.date(2021, 6, 1)), category=category,
                                                   points=points, reason=rng.choice(reasons[category])))
                hh.credit_points = total
                households.append(hh)
        self.save(gm.Household, households)
        self.save(gm.CreditRecord, records)
        titles = {
            gc.EventCategory.ENVIRONMENT: ["路边垃圾堆积", "排水沟堵塞", "柴草乱堆乱放"],
            gc.EventCategory.DISPUTE: ["宅基地边界纠纷", "邻里用水纠纷", "土地流转费用争议"],
            gc.EventCategory.SAFETY: ["电线老化存在隐患", "危房需排查", "坑塘缺少护栏"],
            gc.EventCategory.FACILITIES: ["路灯损坏", "村内道路破损", "健身器材损坏"],
            gc.EventCategory.SERVICE: ["独居老人需要帮扶", "申请代办医保", "咨询养老保险"],
            gc.EventCategory.OTHER: ["流浪犬扰民", "广场舞噪音"],
        }
        for g in grids:
            for _ in range(rng.choice([1, 2, 2, 3])):
                category = rng.choice(list(titles))
                day = self.date(dt.date(2021, 3, 1))
                reported = self.moment(day)
                ev = gm.GridEvent(grid=g, title=rng.choice(titles[category]), category=category,
                                  description="网格员巡查发现，已拍照上传。", reported_at=reported, reported_by=self.name())
                age = (AS_OF - day).days
                stage = 3 if age > 45 else rng.choice([0, 1, 2, 3])
                when = [reported]
                for hours in ((1, 48), (4, 240), (2, 96))[:stage]:
                    step = when[-1] + dt.timedelta(hours=rng.randrange(*hours))
                    if step > END_OF_DATA:
                        break
                    when.append(step)
                if len(when) > 1:
                    ev.assigned_at, ev.assigned_to, ev.status = when[1], self.name(), gc.EventStatus.ASSIGNED
                if len(when) > 2:
                    ev.resolved_at, ev.resolution, ev.status = when[2], "已现场处置完毕，群众满意。", gc.EventStatus.RESOLVED
                if len(when) > 3:
                    ev.closed_at, ev.closed_by, ev.status = when[3], self.name(), gc.EventStatus.CLOSED
                events.append(ev)
        self.save(gm.GridEvent, events)
        topics = ["孔子仁爱思想与邻里和睦", "孝道文化进万家", "中都之治与基层治理", "移风易俗树新风", "家风家训传承", "诚信立身"]
        for v in rng.sample(self.villages, int(len(self.villages) * 0.6)):
            halls.append(gm.LectureHall(village=v, name=f"{v.name}孔子讲学堂", address=f"{v.name}党群服务中心",
                                        opened_on=self.date(dt.date(2021, 3, 1), dt.date(2022, 12, 31))))
        self.save(gm.LectureHall, halls)
        for h in halls:
            for _ in range(rng.randrange(3, 9)):
                sessions.append(gm.LectureSession(hall=h, date=self.date(h.opened_on), topic=rng.choice(topics),
                                                  speaker=self.name(), attendance=rng.randrange(20, 160)))
        self.save(gm.LectureSession, sessions)

    def homesteads(self):
        rng = self.rng
        self.floor("homestead_parcels", 50 * len(self.villages))
        counts = apportion(self.ti("homestead_parcels"), [v.households * rng.uniform(0.95, 1.2) for v in self.villages], minimum=50)
        uses = fc.HomesteadUse.values
        use_weights = list(accumulate([0.84, 0.08, 0.03, 0.02, 0.03]))  # as choices(weights=) adds them up, once
        parcels = []
        cert_seq = 0
        code, registry = self.code, f"{self.spec.name}不动产权第"
        parcel = quick(fm.Homestead, "village")  # 2 million of them in a city
        for v, n in zip(self.villages, counts):
            lat, lng = float(v.latitude), float(v.longitude)
            prefix = f"{v.code}JC"
            for i in range(n):
                gender = "M" if rng.random() < 0.8 else "F"
                birth = START - dt.timedelta(days=rng.randrange(20 * 365, 80 * 365))
                seq = rng.randrange(500) * 2 + (1 if gender == "M" else 0)
                first = f"{code}{birth:%Y%m%d}{seq:03d}"
                certified = rng.random() < 0.82
                if certified:
                    cert_seq += 1
                parcels.append(parcel(
                    v, parcel_code=f"{prefix}{i + 1:05d}",
                    certificate_no=f"鲁（{rng.choice((2019, 2020, 2021, 2022))}）{registry}{cert_seq:07d}号" if certified else "",
                    holder_name=self.name(gender), holder_id_number=first + id_check_char(first),
                    area=Decimal(f"{rng.uniform(110, 340):.2f}"), use=rng.choices(uses, cum_weights=use_weights)[0],
                    built_year=rng.randrange(1968, 2021),
                    latitude=Decimal(f"{lat + rng.uniform(-0.006, 0.006):.6f}"),
                    longitude=Decimal(f"{lng + rng.uniform(-0.008, 0.008):.6f}"),
                    surveyed_on=START + dt.timedelta(days=rng.randrange(60, 660)),
                ))
        self.save(fm.Homestead, parcels)
        self.parcels = parcels

    def enterprises(self):
        rng = self.rng
        names, enterprises = set(), []
        words = ["农业", "食品", "牧业", "科技", "物流", "电子商务", "生物科技", "纺织", "机械", "种业", "商贸", "建材"]
        # (another county's companies are not named after the county itself: 任城区…物流有限公司 is its logistics member unit)
        prefixes = ["汶上县", "山东", "济宁", "汶上"] if self.spec.exact else [f"山东{self.spec.short}", f"济宁{self.spec.short}", self.spec.short]
        while len(names) < self.n(180):
            names.add(rng.choice(prefixes) + rng.choice(N.BRANDS) + rng.choice(words) + rng.choice(N.COMPANY_SUFFIXES))
        codes = set()
        for i, name in enumerate(sorted(names)):
            code = self.credit_code()
            while code in codes:
                code = self.credit_code()
            codes.add(code)
            township = None if i % 12 == 11 else rng.choice(self.townships)
            enterprises.append(am.Enterprise(
                name=name, credit_code=code, township=township, industry=rng.choice(N.INDUSTRIES),
                legal_representative=self.name(), address=f"{township.name if township else '济宁市任城区'}{rng.choice(N.BRANDS)}路{rng.randrange(1, 300)}号",
                established_on=self.date(dt.date(2003, 1, 1), dt.date(2022, 12, 31)),
            ))
        self.enterprise_list = self.save(am.Enterprise, enterprises)

    def alliances(self):
        rng = self.rng
        units = []
        village_units = rng.sample(self.villages, self.part(330, len(self.villages), 346))
        for v in village_units:
            kind = ac.UnitKind.COMMUNITY if v.kind == vc.VillageKind.COMMUNITY else ac.UnitKind.VILLAGE
            units.append(am.MemberUnit(name=f"{v.township.name}{v.name}党{'委' if kind == ac.UnitKind.COMMUNITY else '支部'}", kind=kind,
                                       township=v.township, village=v))
        for e in self.enterprise_list[: self.n(130)]:
            units.append(am.MemberUnit(name=f"{e.name}党支部", kind=ac.UnitKind.ENTERPRISE, township=e.township, enterprise=e))
        parks = ["汶上经济开发区", "绿港现代农业科技园", "万兴高效农业示范园", "汶上化工产业园", "汶上纺织服装产业园",
                 "汶上食品产业园", "南旺运河文化产业园", "白石光伏产业园", "苑庄甘薯产业园", "郭仓芦花鸡产业园", "杨店电商产业园",
                 "康驿农产品加工园", "义桥现代物流园", "郭楼中药材产业园", "次邱农机产业园", "寅寺人才创业园", "军屯蔬菜产业园", "刘楼花卉产业园"]
        if not self.spec.exact:
            parks = [f"{self.spec.short}{p}" for p in PARKS]
        for p in parks:
            units.append(am.MemberUnit(name=f"{p}党委", kind=ac.UnitKind.PARK, township=rng.choice(self.townships)))
        market_kinds = ["农贸市场", "商贸城", "果蔬批发市场"]
        stalls = [(t, k) for t in self.townships for k in market_kinds]
        markets = rng.sample(stalls, min(len(stalls), self.n(40)))
        for t, k in markets:
            units.append(am.MemberUnit(name=f"{t.name}{k}党支部", kind=ac.UnitKind.MARKET, township=t))
        for b in rng.sample(N.BRANDS, min(len(N.BRANDS), self.n(45))):
            units.append(am.MemberUnit(name=f"{self.spec.name}{b}物流有限公司党支部", kind=ac.UnitKind.LOGISTICS, township=rng.choice(self.townships)))
        ecommerce = rng.sample([(b, k) for b in N.BRANDS for k in ("电商直播基地", "电子商务公司", "农村电商服务站")], self.n(48))
        for b, k in ecommerce:
            t = rng.choice(self.townships)
            units.append(am.MemberUnit(name=f"{t.name}{b}{k}党支部", kind=ac.UnitKind.ECOMMERCE, township=t))
        for d in self.units:
            units.append(am.MemberUnit(name=f"{d}机关党支部", kind=ac.UnitKind.DEPARTMENT))
        if not self.spec.exact:  # one unit of a name in a county
            seen = set()
            units = [u for u in units if not (u.name in seen or seen.add(u.name))]
        self.fix("alliance_member_units", len(units))
        for u in units:
            u.secretary_name = self.name()
            u.contact_phone = self.phone()
            u.party_members = rng.randrange(5, 60)
        self.save(am.MemberUnit, units)
        by_kind = defaultdict(list)
        for u in units:
            by_kind[u.kind].append(u)
        alliances = [am.Alliance(name=f"{self.spec.name}共富大联盟", scope=ac.AllianceScope.COUNTY, founded_on=dt.date(2021, 3, 18),
                                 description="全县大联盟：县直部门、重点园区与各镇街联盟共建共享。")]
        for t in self.townships:
            alliances.append(am.Alliance(name=f"{t.name}共富联盟", scope=ac.AllianceScope.TOWNSHIP, township=t,
                                         founded_on=self.date(dt.date(2021, 4, 1), dt.date(2021, 9, 30)),
                                         description=f"{t.name}镇街小联盟，村（社区）与辖区企业、市场党组织联建。"))
        extra = len(N.INDUSTRIES)
        self.fix("alliances", 1 + len(self.townships) + extra)
        for ind in N.INDUSTRIES:
            alliances.append(am.Alliance(name=f"{self.spec.name}{ind}行业共富联盟", scope=ac.AllianceScope.INDUSTRY, industry=ind,
                                         founded_on=self.date(dt.date(2021, 5, 1), dt.date(2022, 6, 30)),
                                         description=f"{ind}行业全联盟：产业链上下游党组织联建。"))
        self.save(am.Alliance, alliances)
        members = {a: [] for a in alliances}
        county = alliances[0]
        members[county] = [by_kind[ac.UnitKind.DEPARTMENT][0]] + by_kind[ac.UnitKind.DEPARTMENT][1:] + by_kind[ac.UnitKind.PARK]
        for a in alliances[1 : 1 + len(self.townships)]:
            local = [u for u in units if u.township_id == a.township_id and u.kind in (ac.UnitKind.VILLAGE, ac.UnitKind.COMMUNITY)]
            local.sort(key=lambda u: -u.party_members)
            others = [u for u in units if u.township_id == a.township_id and u.kind in (ac.UnitKind.MARKET, ac.UnitKind.ENTERPRISE)]
            members[a] = local + rng.sample(others, min(len(others), rng.randrange(3, 8)))
        industry = alliances[1 + len(self.townships):]
        firms = by_kind[ac.UnitKind.ENTERPRISE] + by_kind[ac.UnitKind.LOGISTICS] + by_kind[ac.UnitKind.ECOMMERCE]
        for a in industry:
            chosen = rng.sample(by_kind[ac.UnitKind.ENTERPRISE], min(len(by_kind[ac.UnitKind.ENTERPRISE]), rng.randrange(3, 7)))
            chosen += rng.sample(by_kind[ac.UnitKind.LOGISTICS], min(len(by_kind[ac.UnitKind.LOGISTICS]), rng.randrange(1, 3)))
            chosen += rng.sample(by_kind[ac.UnitKind.ECOMMERCE], min(len(by_kind[ac.UnitKind.ECOMMERCE]), rng.randrange(1, 3)))
            chosen += rng.sample(by_kind[ac.UnitKind.VILLAGE], min(len(by_kind[ac.UnitKind.VILLAGE]), rng.randrange(2, 5)))
            members[a] = list(dict.fromkeys(chosen))
        placed = {u.pk for ms in members.values() for u in ms}
        for u in firms + by_kind[ac.UnitKind.MARKET] + by_kind[ac.UnitKind.VILLAGE] + by_kind[ac.UnitKind.COMMUNITY]:
            if u.pk not in placed:
                a = rng.choice(industry)
                members[a].append(u)
                placed.add(u.pk)
        memberships = []
        for a, ms in members.items():
            for i, u in enumerate(ms):
                joined = min(AS_OF, a.founded_on + dt.timedelta(days=0 if i == 0 else rng.randrange(0, 400)))
                left = None
                if i > 0 and rng.random() < 0.02:
                    left = min(AS_OF, joined + dt.timedelta(days=rng.randrange(90, 600)))
                memberships.append(am.AllianceMembership(alliance=a, unit=u, role=ac.MemberRole.LEAD if i == 0 else ac.MemberRole.MEMBER,
                                                         joined_on=joined, left_on=left))
        self.save(am.AllianceMembership, memberships)
        titles = {
            ac.ActivityKind.THEME_DAY: "“{}”主题党日轮值活动",
            ac.ActivityKind.JOINT_MEETING: "{}联席会议",
            ac.ActivityKind.STUDY_VISIT: "赴{}观摩交流",
            ac.ActivityKind.PROJECT_PUSH: "{}重大项目共推会",
            ac.ActivityKind.TALENT: "{}党员人才共管培训",
        }
        activities, items, entries, evaluations = [], [], [], []
        for a in alliances:
            ms = members[a]
            if not ms:  # a small county's township without member units: an alliance in name only
                continue
            for _ in range(rng.randrange(8, 15)):
                kind = rng.choice(list(titles))
                fill = {ac.ActivityKind.STUDY_VISIT: rng.choice(parks)}.get(kind, rng.choice(["共富路上", "党建引领", "产业振兴", a.name]))
                activities.append(am.AllianceActivity(alliance=a, kind=kind, title=titles[kind].format(fill), date=self.date(a.founded_on),
                                                      host_unit=rng.choice(ms), participants=rng.randrange(15, 120),
                                                      summary="各成员单位交流经验、对接需求，形成合作事项清单。"))
            for _ in range(rng.randrange(3, 7)):
                due = self.date(a.founded_on + dt.timedelta(days=60), dt.date(2024, 12, 31))
                done = due < AS_OF and rng.random() < 0.85
                items.append(am.ResponsibilityItem(alliance=a, unit=rng.choice(ms), task=rng.choice(
                    ["牵头组织联合招商推介", "建立党员人才共管台账", "共建共享党群服务阵地", "帮助成员村开拓农产品销路", "组织联比共评打分"]),
                    due_date=due, status=ac.ResponsibilityStatus.DONE if done else ac.ResponsibilityStatus.OPEN,
                    completed_on=min(due, AS_OF) if done else None))
            balance = Decimal(0)
            day = a.founded_on
            while True:
                day = day + dt.timedelta(days=rng.randrange(30, 120))
                if day > AS_OF:
                    break
                if balance < 50_000 or rng.random() < 0.55:
                    amount = self.money(20_000, 200_000, 1000)
                    balance += amount
                    entries.append(am.FundEntry(alliance=a, date=day, kind=ac.FundEntryKind.CONTRIBUTION, amount=amount,
                                                unit=rng.choice(ms), purpose="成员单位缴存公积金", balance_after=balance))
                else:
                    amount = min(balance, self.money(10_000, 120_000, 1000))
                    balance -= amount
                    entries.append(am.FundEntry(alliance=a, date=day, kind=ac.FundEntryKind.DISBURSEMENT, amount=amount,
                                                unit=rng.choice(ms), purpose=rng.choice(["支持成员村产业项目", "联盟活动经费", "困难党员帮扶", "人才培训补贴"]),
                                                balance_after=balance))
            for year in (2021, 2022, 2023):
                if year >= a.founded_on.year:
                    score = Decimal(f"{rng.uniform(68, 98):.1f}")
                    grade = ac.EvaluationGrade.EXCELLENT if score >= 90 else ac.EvaluationGrade.GOOD if score >= 80 else ac.EvaluationGrade.PASS if score >= 70 else ac.EvaluationGrade.FAIL
                    evaluations.append(am.AllianceEvaluation(alliance=a, year=year, score=score, grade=grade, remarks="联比共评，按季度通报。"))
        self.save(am.AllianceActivity, activities)
        self.save(am.ResponsibilityItem, items)
        self.save(am.FundEntry, entries)
        self.save(am.AllianceEvaluation, evaluations)
        self.alliance_list = alliances

    def joint_committees(self):
        rng = self.rng
        towns = [t for t in self.townships if t.kind != vc.TownshipKind.SUBDISTRICT]
        rural_by_town = {t.pk: [v for v in self.village_by_township[t.pk] if v.kind == vc.VillageKind.VILLAGE] for t in towns}
        # Two zones in most towns, one in the rest (Wenshang: 22 zones in 12 towns).
        self.cap("joint_committees", 2 * len(towns))
        self.floor("joint_committees", len(towns))
        self.cap("joint_committee_villages", sum(len(vs) for vs in rural_by_town.values()))
        two = self.ti("joint_committees") - len(towns)
        zone_counts = [2] * two + [1] * (len(towns) - two)
        per_town = apportion(self.ti("joint_committee_villages"), [len(rural_by_town[t.pk]) * z for t, z in zip(towns, zone_counts)]) if towns else []
        zone_names = ["运河", "汶河", "泉河", "圣泽", "宝相", "中都", "莲花湖", "北部", "南部", "东部", "西部", "古城", "金山", "莲池"]
        committees, links = [], []
        leaders = [self.name() for _ in range(self.ti("joint_committees"))]
        for t, zones, n in zip(towns, zone_counts, per_town):
            n = min(n, len(rural_by_town[t.pk]))
            zones = min(zones, n // 3)  # three villages in a zone at least
            if not zones:
                continue
            chosen = rural_by_town[t.pk][:n]
            assert len(chosen) == n, (t.name, n)
            names = rng.sample(zone_names, zones)
            sizes = apportion(n, [rng.uniform(0.8, 1.2) for _ in range(zones)], minimum=3)
            start = 0
            for zname, size in zip(names, sizes):
                c = am.JointCommittee(name=f"{t.name}{zname}片区联合党委", township=t, county_leader=leaders[len(committees)],
                                      established_on=self.date(dt.date(2021, 4, 1), dt.date(2021, 12, 31)))
                c.members = chosen[start:start + size]
                start += size
                committees.append(c)
        self.fix("joint_committees", len(committees))
        self.fix("joint_committee_villages", sum(len(c.members) for c in committees))
        self.save(am.JointCommittee, committees)
        for c in committees:
            for v in c.members:
                links.append(am.JointCommitteeVillage(committee=c, village=v, department=rng.choice(self.units),
                                                      joined_on=c.established_on))
        self.save(am.JointCommitteeVillage, links)
        depts = [("县农业农村局", "农业技术推广"), ("县财政局", "财政政策"), ("县人力资源和社会保障局", "就业创业"),
                 ("县自然资源和规划局", "村庄规划"), ("县商务和投资促进局", "招商引资"), ("县文化和旅游局", "乡村旅游"),
                 ("县金融服务中心", "金融服务"), ("县水务局", "农田水利")]
        advisors = []
        if not committees:
            self.cap("development_advisors", 0)
        depts = [(self.dept(d), sp) for d, sp in depts]
        n = self.ti("development_advisors")
        for i in range(n):
            c = committees[i % len(committees)]
            dept, spec = rng.choice(depts)
            advisors.append(am.Advisor(name=self.name(), department=dept, specialty=spec, phone=self.phone(), joint_committee=c,
                                       start_date=self.date(dt.date(2021, 6, 1), dt.date(2022, 6, 30))))
        self.save(am.Advisor, advisors)
        self.committees, self.advisors = committees, advisors

    def pairings(self):
        rng = self.rng
        local = [e for e in self.enterprise_list if e.township_id]
        self.cap("paired_villages", len(self.rural))
        self.cap("paired_enterprises", min(len(local), self.ti("paired_villages")))
        ents = rng.sample(local, self.ti("paired_enterprises"))
        vills = rng.sample(self.rural, self.ti("paired_villages"))
        pairs = set()
        for i in range(len(ents)):
            pairs.add((i, i))
        for j in range(len(ents), len(vills)):
            pairs.add((rng.randrange(len(ents)), j))
        while len(pairs) < min(len(vills) + self.n(22), len(ents) * len(vills)):
            pairs.add((rng.randrange(len(ents)), rng.randrange(len(vills))))
        pairings = []
        for i, j in sorted(pairs):
            start = self.date(dt.date(2021, 4, 1), dt.date(2023, 10, 31))
            ended = rng.random() < 0.05
            pairings.append(am.Pairing(enterprise=ents[i], village=vills[j], mode=rng.choice(ac.PairingMode.values),
                                       path=rng.choice(ac.PairingPath.values), start_date=start,
                                       status=ac.PairingStatus.ENDED if ended else ac.PairingStatus.ACTIVE,
                                       end_date=self.date(start + dt.timedelta(days=200), AS_OF) if ended else None,
                                       agreement="签订村企联建协议，明确联建事项和利益联结机制。"))
        self.save(am.Pairing, pairings)
        outcomes = []
        for p in pairings:
            for year in range(p.start_date.year, 2024):
                outcomes.append(am.PairingOutcome(pairing=p, year=year))
        rows_2023 = [o for o in outcomes if o.year == 2023]
        for o, amount in zip(rows_2023, self.split_money(self.t("pairing_collective_income_2023"), len(rows_2023), 100)):
            o.income_added = amount
        for o in outcomes:
            if o.year != 2023:
                o.income_added = self.money(10_000, 60_000)
        for o, jobs in zip(outcomes, apportion(self.ti("pairing_jobs"), [rng.uniform(0.3, 1.7) for _ in outcomes])):
            o.jobs_added = jobs
        self.save(am.PairingOutcome, outcomes)
        self.pairing_list = pairings
        # Pairings signed in 2024 between enterprises and villages already paired with others (the
        # article's counts of distinct enterprises and villages stay): no outcome reported yet.
        new = []
        for start, end, n in ((dt.date(2024, 1, 8), dt.date(2024, 3, 29), 3), (dt.date(2024, 4, 8), dt.date(2024, 6, 21), 4)):
            for _ in range(min(n, len(ents) * len(vills) - len(pairs))):
                i, j = self.life.randrange(len(ents)), self.life.randrange(len(vills))
                while (i, j) in pairs:
                    i, j = self.life.randrange(len(ents)), self.life.randrange(len(vills))
                pairs.add((i, j))
                new.append(am.Pairing(enterprise=ents[i], village=vills[j], mode=self.life.choice(ac.PairingMode.values),
                                      path=self.life.choice(ac.PairingPath.values), start_date=self.life_date(start, end),
                                      status=ac.PairingStatus.ACTIVE, agreement="签订村企联建协议，明确联建事项和利益联结机制。"))
        self.save(am.Pairing, new)
        # The pairing task force (alliances.TaskForceUnit): alliances/demo.py.

    def finance_people(self):
        rng = self.rng
        mayors = [fm.FinanceViceMayor(name=self.name(), bank=rng.choice(self.banks), township=t, phone=self.phone(),
                                      start_date=dt.date(2022, 3, 1)) for t in self.townships]
        self.fix("finance_vice_mayors", len(mayors))
        self.save(fm.FinanceViceMayor, mayors)
        # Banks' quarterly agriculture-loan balances: first quarter P, latest 223.2亿元 (+105.87 %).
        quarters = [(y, q) for y in range(2021, 2025) for q in range(1, 5) if (y, q) <= (2024, 2)]
        latest = self.t("agri_loan_balance")
        growth = self.t("agri_loan_growth_pct")
        first = (latest / (1 + growth / 100) / 10_000).quantize(Decimal("1")) * 10_000
        shares = [rng.uniform(0.5, 2.5) for _ in N.BANKS]
        reports = []
        n = len(quarters)
        for k, (y, q) in enumerate(quarters):
            if k == 0:
                total = first
            elif k == n - 1:
                total = latest
            else:
                total = (first * (latest / first) ** Decimal(k / (n - 1)) * Decimal(f"{rng.uniform(0.985, 1.015):.4f}") / 10_000).quantize(Decimal("1")) * 10_000
            for bank, amount in zip(self.banks, apportion(int(total / 10_000), shares)):
                reports.append(fm.AgriLoanReport(bank=bank, year=y, quarter=q, balance=Decimal(amount) * 10_000))
        self.save(fm.AgriLoanReport, reports)

    def talent(self):
        rng = self.rng
        # Party schools: 1 + 15 + N.
        schools = [tm.PartySchool(name=self.local("中共汶上县委党校"), level=tc.PartySchoolLevel.COUNTY)]
        schools += [tm.PartySchool(name=f"{t.name}党校", level=tc.PartySchoolLevel.TOWNSHIP, township=t) for t in self.townships]
        schools += [tm.PartySchool(name=f"{v.township.name}{v.name}党员教育教学点", level=tc.PartySchoolLevel.TEACHING_POINT, township=v.township)
                    for v in rng.sample(self.villages, min(len(self.villages), self.n(46)))]
        self.fix("township_party_schools", len(self.townships))
        self.save(tm.PartySchool, schools)
        self.schools = schools
        # Village secretaries: one in office per village, some predecessors.
        people, terms = [], []
        for v in self.villages:
            young = rng.random() < 0.3
            p = self.person(v.township, v, born=(1980, 1995) if young else (1962, 1979), gender="M" if rng.random() < 0.85 else "F", party=1.0)
            people.append(p)
            elected = self.date(dt.date(2021, 1, 5), dt.date(2021, 2, 28))
            if rng.random() < 0.2:
                # Replaced after the first year's arena contests: the predecessor's term has ended.
                q = self.person(v.township, v, born=(1955, 1975), gender="M", party=1.0)
                people.append(q)
                terms.append(tm.VillageSecretary(person=q, village=v, start_date=elected, end_date=dt.date(2021, 12, 31)))
                elected = dt.date(2022, 1, 1)
            terms.append(tm.VillageSecretary(person=p, village=v, start_date=elected))
        self.save(tm.Person, people)
        self.save(tm.VillageSecretary, terms)
        self.secretaries = {t.village.pk: t for t in terms if t.end_date is None}
        assessments = []
        for term in self.secretaries.values():
            for year in (2021, 2022, 2023):
                if rng.random() < 0.35:
                    assessments.append(tm.SecretaryAssessment(secretary=term, kind=tc.AssessmentKind.ARENA, date=dt.date(year, 11, rng.randrange(1, 28)),
                                                              score=Decimal(f"{rng.uniform(70, 98):.1f}"), result=rng.choice(["一等奖", "二等奖", "三等奖", "优秀奖", ""])))
            if term.village.tier_2021 == vc.Tier.FOUNDATION:
                for year in (2022, 2023, 2024):
                    assessments.append(tm.SecretaryAssessment(secretary=term, kind=tc.AssessmentKind.UPGRADED_REPORT, date=dt.date(year, 1, rng.randrange(10, 28)),
                                                              score=Decimal(f"{rng.uniform(60, 95):.1f}"), result=rng.choice(["好", "较好", "一般"])))
        self.save(tm.SecretaryAssessment, assessments)
        # Reserve cadres.
        self.floor("reserve_cadres", 3 * len(self.villages))
        counts = apportion(self.ti("reserve_cadres"), [v.households for v in self.villages], minimum=3)
        people, reserves = [], []
        for v, n in zip(self.villages, counts):
            mentor = self.secretaries[v.pk].person.name
            for _ in range(n):
                p = self.person(v.township, v, born=(1984, 2002), party=0.6)
                people.append(p)
                since = self.date(dt.date(2021, 3, 1), dt.date(2024, 3, 31))
                roll = rng.random()
                status = tc.ReserveStatus.APPOINTED if roll < 0.1 else tc.ReserveStatus.WITHDRAWN if roll > 0.96 else tc.ReserveStatus.TRAINING
                reserves.append(tm.ReserveCadre(person=p, village=v, mentor=mentor, since=since, status=status,
                                                appointed_on=self.date(since, AS_OF) if status == tc.ReserveStatus.APPOINTED else None))
        # New reserve cadres join every quarter, the latest one too.
        for r in reserves:
            if r.status == tc.ReserveStatus.TRAINING and self.life.random() < 0.08:
                r.since = self.life_date(dt.date(2024, 4, 1), dt.date(2024, 6, 21))
        self.save(tm.Person, people)
        self.save(tm.ReserveCadre, reserves)
        self.reserves = reserves
        # Returnees and recruiting stations.
        stations = [("北京归雁回引工作站", "北京"), ("浙江归雁回引工作站", "杭州"), ("济南归雁回引工作站", "济南"),
                    ("青岛归雁回引工作站", "青岛"), ("上海归雁回引工作站", "上海")]
        self.fix("recruiting_stations", len(stations))
        stations = self.save(tm.RecruitingStation, [tm.RecruitingStation(name=n, city=c, established_on=self.date(dt.date(2021, 5, 1), dt.date(2022, 5, 1)),
                                                                         contact=self.name()) for n, c in stations])
        per_year = {2021: self.n(31), 2022: self.n(37), 2023: self.n(44), int(self.catalogue_year("returned_talents")): self.ti("returned_talents")}
        people, returnees = [], []
        for year, n in per_year.items():
            for _ in range(n):
                v = rng.choice(self.villages)
                p = self.person(v.township, v, born=(1978, 1998), party=0.5, workplace=rng.choice(N.CITIES) + "某公司")
                people.append(p)
                day = self.date(dt.date(year, 1, 1), min(AS_OF, dt.date(year, 12, 31)))
                st = rng.choice(stations + [None])
                returnees.append(tm.Returnee(person=p, station=st, returned_on=day, from_city=st.city if st else rng.choice(N.CITIES),
                                             previous_occupation=rng.choice(["企业管理", "电商运营", "建筑施工", "餐饮", "技术研发", "销售"]),
                                             role=rng.choice(tc.ReturneeRole.values)))
        self.save(tm.Person, people)
        self.save(tm.Returnee, returnees)
        # Workstations and partners.
        self.cap("partner_workstations", len(self.townships))
        towns = rng.sample(self.townships, self.ti("partner_workstations"))
        stations = self.save(tm.Workstation, [tm.Workstation(name=f"{t.name}乡村振兴工作站", township=t, established_on=self.date(dt.date(2021, 6, 1), dt.date(2022, 3, 1)))
                                              for t in towns])
        people, partners = [], []
        for i in range(self.ti("partners")):
            ws = stations[i % len(stations)]
            p = self.person(ws.township, None, born=(1970, 1992), party=0.4, workplace=rng.choice(N.CITIES))
            people.append(p)
            partners.append(tm.Partner(person=p, workstation=ws, organization=rng.choice(N.CITIES) + rng.choice(N.BRANDS) + "投资有限公司",
                                       field=rng.choice(N.INDUSTRIES), joined_on=self.date(ws.established_on)))
        self.save(tm.Person, people)
        self.partners = self.save(tm.Partner, partners)
        # Trainings: composite agricultural talents and high-quality farmers.
        county_school = schools[0]
        attendance = []
        composite = [tm.Training(name=f"{y}年复合型农业人才培训班", kind=tc.TrainingKind.COMPOSITE_TALENT, organizer=self.dept("县农业农村局"),
                                 party_school=county_school, location=self.local("中共汶上县委党校"), start_date=dt.date(y, 9, 12),
                                 end_date=dt.date(y, 9, 21), hours=64) for y in (2022, 2023)]
        n_courses = self.n(50)
        farmer = []
        for i in range(n_courses):
            t = self.townships[i % len(self.townships)]
            start = self.date(dt.date(2021, 3, 1), dt.date(2024, 5, 31))
            farmer.append(tm.Training(name=f"{start.year}年{t.name}高素质农民培训班（第{cn_number(i // len(self.townships) + 1)}期）", kind=tc.TrainingKind.HIGH_QUALITY_FARMER,
                                      organizer=self.dept("县农业农村局"), party_school=schools[1 + i % len(self.townships)], township=t, location=f"{t.name}党校",
                                      start_date=start, end_date=start + dt.timedelta(days=rng.randrange(3, 10)), hours=rng.choice([24, 32, 40])))
        secretary_courses = [tm.Training(name=f"{y}年村党组织书记“头雁”培训班", kind=tc.TrainingKind.SECRETARY, organizer=self.dept("县委组织部"),
                                         party_school=county_school, location=self.local("中共汶上县委党校"), start_date=dt.date(y, 4, 8),
                                         end_date=dt.date(y, 4, 12), hours=36) for y in (2021, 2022, 2023, 2024)]
        self.save(tm.Training, composite + farmer + secretary_courses)
        comp_people = []
        for _ in range(self.ti("composite_talents_trained")):
            v = rng.choice(self.rural)
            comp_people.append(self.person(v.township, v, born=(1975, 1998), party=0.4))
        farm_people = []
        for _ in range(self.ti("farmers_trained")):
            v = rng.choice(self.rural)
            farm_people.append(self.person(v.township, v, born=(1960, 2000), party=0.15))
        dropouts = []
        for _ in range(self.n(9)):
            v = rng.choice(self.rural)
            dropouts.append(self.person(v.township, v, born=(1975, 1998), party=0.2))
        self.save(tm.Person, comp_people + farm_people + dropouts)
        cert = 0
        for i, p in enumerate(comp_people):
            cert += 1
            attendance.append(tm.TrainingAttendance(training=composite[i % 2], person=p, completed=True, certificate_no=f"WSFH{cert:05d}"))
        for p in dropouts:
            attendance.append(tm.TrainingAttendance(training=rng.choice(composite), person=p, completed=False))
        course_sizes = apportion(len(farm_people), [rng.uniform(0.8, 1.2) for _ in farmer])
        k = 0
        for course, size in zip(farmer, course_sizes):
            for p in farm_people[k:k + size]:
                cert += 1
                attendance.append(tm.TrainingAttendance(training=course, person=p, completed=True, certificate_no=f"WSNM{cert:05d}"))
            k += size
        taken = {(a.training.name, a.person.id_number) for a in attendance}
        for p in rng.sample(farm_people, min(len(farm_people), self.n(300))):
            course = rng.choice(farmer)
            if (course.name, p.id_number) not in taken:
                taken.add((course.name, p.id_number))
                attendance.append(tm.TrainingAttendance(training=course, person=p, completed=rng.random() < 0.7))
        for course in secretary_courses:
            for term in rng.sample(list(self.secretaries.values()), min(len(self.secretaries), self.n(80))):
                attendance.append(tm.TrainingAttendance(training=course, person=term.person, completed=True))
        self.save(tm.TrainingAttendance, attendance)
        # Honours: good youth of every village and agri-tech model workers.
        young = [r.person for r in reserves] + farm_people
        self.cap("good_youth", len(young))
        self.cap("agritech_models", len(comp_people))
        honours = [tm.Honour(person=p, kind=tc.HonourKind.GOOD_YOUTH, year=rng.choice([2021, 2022, 2023, 2024]), awarded_by="团县委")
                   for p in rng.sample(young, self.ti("good_youth"))]
        honours += [tm.Honour(person=p, kind=tc.HonourKind.AGRITECH_MODEL, year=rng.choice([2022, 2023]), awarded_by="县农业农村局")
                    for p in rng.sample(comp_people, self.ti("agritech_models"))]
        self.save(tm.Honour, honours)
        self.reserve_training(county_school)

    def reserve_training(self, school):
        """The reserve cadres' training (县委组织部, twice a year at the county party school): most of
        them attend the first session after they join, and most of those complete it."""
        starts = [dt.date(2021, 9, 13), dt.date(2022, 4, 11), dt.date(2022, 10, 17), dt.date(2023, 4, 10),
                  dt.date(2023, 10, 16), dt.date(2024, 5, 13)]
        courses = [tm.Training(name=f"{d.year}年{'上' if d.month < 7 else '下'}半年村级后备人才培训班", kind=tc.TrainingKind.SECRETARY,
                               organizer=self.dept("县委组织部"), party_school=school, location=self.local("中共汶上县委党校"), start_date=d,
                               end_date=d + dt.timedelta(days=4), hours=40) for d in starts]
        self.save(tm.Training, courses)
        attendance = []
        for r in self.reserves:
            course = next((c for c in courses if c.start_date >= r.since), None)
            if course is None or self.life.random() >= 0.75:
                continue
            attendance.append(tm.TrainingAttendance(training=course, person=r.person, completed=self.life.random() < 0.94))
        self.save(tm.TrainingAttendance, attendance)

    def catalogue_year(self, key):
        return catalogue()[key].year

    def first_secretaries(self):
        rng = self.rng
        old_year, new_year = self.catalogue_year("first_secretaries_2021"), self.catalogue_year("first_secretaries_new")
        batches = self.save(tm.FirstSecretaryBatch, [
            tm.FirstSecretaryBatch(year=old_year, name=f"{old_year}年度驻村第一书记", start_date=dt.date(old_year, 6, 1), end_date=dt.date(old_year + 3, 5, 31)),
            tm.FirstSecretaryBatch(year=new_year, name=f"新一轮（{new_year}年）驻村第一书记", start_date=dt.date(new_year, 6, 1)),
        ])
        alliance = self.save(tm.FirstSecretaryAlliance, [tm.FirstSecretaryAlliance(name=self.local("汶上县第一书记联盟"), founded_on=dt.date(2021, 9, 1))])[0]
        focus = ["花卉种业", "芦花鸡", "甘薯", "乡村旅游", "电商直播", "蔬菜大棚", "中药材", "农产品加工", "人居环境", "基层治理"]
        subs = self.save(tm.SubAlliance, [tm.SubAlliance(alliance=alliance, number=i + 1, name=self.local(f"汶上县第一书记联盟第{cn_number(i + 1)}分盟"), focus=focus[i])
                                          for i in range(10)])
        priority = sorted(self.rural, key=lambda v: (not v.is_relief_village, v.tier_2021 != vc.Tier.FOUNDATION, rng.random()))
        old_villages = priority[: self.ti("first_secretaries_2021")]
        new_villages = sorted(self.rural, key=lambda v: (not v.is_relief_village, v.tier != vc.Tier.FOUNDATION, rng.random()))[: self.ti("first_secretaries_new")]
        self.fix("first_secretaries_2021", len(old_villages))
        self.fix("first_secretaries_new", len(new_villages))
        people, secretaries = [], []
        old_people = []
        for v in old_villages:
            unit = rng.choice(self.units)
            p = self.person(v.township, v, born=(1976, 1996), party=1.0, workplace=unit)
            people.append(p)
            old_people.append((p, unit))
            secretaries.append(tm.FirstSecretary(person=p, batch=batches[0], village=v, sending_unit=unit, sub_alliance=rng.choice(subs),
                                                 start_date=batches[0].start_date, end_date=batches[0].end_date))
        reappointed = rng.sample(old_people, min(len(old_people), self.n(15)))
        for i, v in enumerate(new_villages):
            if i < len(reappointed):
                p, unit = reappointed[i]
            else:
                unit = rng.choice(self.units)
                p = self.person(v.township, v, born=(1980, 1998), party=1.0, workplace=unit)
                people.append(p)
            secretaries.append(tm.FirstSecretary(person=p, batch=batches[1], village=v, sending_unit=unit, sub_alliance=rng.choice(subs),
                                                 start_date=batches[1].start_date))
        self.save(tm.Person, people)
        self.save(tm.FirstSecretary, secretaries)
        self.fs_old = [s for s in secretaries if s.batch is batches[0]]
        self.fs_new = [s for s in secretaries if s.batch is batches[1]]
        attendance, evaluations = [], []
        for s in secretaries:
            month = s.start_date.replace(day=1)
            end = s.end_date or AS_OF
            while month <= end:
                required = rng.choice([20, 21, 22])
                attendance.append(tm.FirstSecretaryAttendance(secretary=s, month=month, days_required=required,
                                                              days_present=required - min(required, int(rng.expovariate(0.8)))))
                month = (month + dt.timedelta(days=32)).replace(day=1)
        for s in self.fs_old:
            for year in (old_year, old_year + 1, old_year + 2):
                score = Decimal(f"{rng.uniform(72, 98):.1f}")
                grade = tc.EvaluationGrade.EXCELLENT if score >= 92 else tc.EvaluationGrade.COMPETENT if score >= 75 else tc.EvaluationGrade.BASIC
                evaluations.append(tm.FirstSecretaryEvaluation(secretary=s, year=year, grade=grade, score=score, remarks="年度考核"))
        self.save(tm.FirstSecretaryAttendance, attendance)
        self.save(tm.FirstSecretaryEvaluation, evaluations)

    def projects(self):
        rng = self.rng
        P, K, S = vm.Project, vc.ProjectKind, vc.ProjectStatus
        projects = []  # (project, villages)

        def add(project, villages):
            projects.append((project, villages))

        kinds = ["现代农业产业园", "田园综合体", "高标准农田", "冷链物流中心", "农文旅融合", "芦花鸡全产业链", "甘薯深加工", "蔬菜产业带", "村庄环境提升", "花卉种业基地"]
        self.cap("key_projects", len(self.committees))
        key = self.committees[: self.ti("key_projects")]
        for c, inv in zip(key, self.split_money(self.t("key_projects_investment"), len(key), 10_000, spread=0.8) if key else []):
            start = self.date(dt.date(2021, 6, 1), dt.date(2023, 6, 30))
            add(P(name=f"{c.name.replace('联合党委', '')}{rng.choice(kinds)}项目", kind=K.KEY_ZONE, status=rng.choice([S.BUILDING, S.BUILDING, S.COMPLETED]),
                  township=c.township, joint_committee=c, investment=inv, jobs=rng.randrange(50, 600),
                  income_added=self.money(300_000, 3_000_000, 10_000), start_date=start, description="示范片区重点项目，统一规划、整体打造。"),
                c.members[: rng.randrange(2, 6)])
        parks = ["绿港现代农业科技园", "万兴高效农业示范园", "汶上芦花鸡产业园", "南旺甘薯产业园", "圣泽蔬菜产业园", "宝相花卉种业园"]
        if not self.spec.exact:
            parks = [f"{self.spec.short}{p}" for p in AGRI_PARKS]
        self.fix("agri_parks", len(parks))
        for name in parks:
            v = rng.choice(self.rural)
            add(P(name=name, kind=K.AGRI_PARK, status=S.COMPLETED, township=v.township, investment=self.money(80_000_000, 600_000_000, 1_000_000),
                  jobs=rng.randrange(200, 1200), income_added=self.money(1_000_000, 5_000_000, 10_000), start_date=self.date(dt.date(2021, 1, 1), dt.date(2022, 6, 30))), [v])
        self.cap("smart_agri_bases", 3)
        for i in range(self.ti("smart_agri_bases")):
            v = rng.choice(self.rural)
            add(P(name=f"{v.township.name}{['智慧蔬菜', '智慧养殖', '数字农场'][i]}省级智慧农业应用基地", kind=K.SMART_AGRI_BASE, status=S.COMPLETED,
                  township=v.township, investment=self.money(5_000_000, 30_000_000, 100_000), jobs=rng.randrange(20, 120),
                  start_date=self.date(dt.date(2021, 6, 1), dt.date(2023, 6, 30))), [v])
        self.cap("pairing_projects", len(self.pairing_list))
        for p in rng.sample(self.pairing_list, self.ti("pairing_projects")):
            add(P(name=f"{p.village.name}{p.enterprise.industry}联建项目", kind=K.PAIRING, status=rng.choice([S.BUILDING, S.COMPLETED, S.COMPLETED]),
                  township=p.village.township, pairing=p, investment=self.money(500_000, 20_000_000, 10_000), jobs=rng.randrange(5, 120),
                  income_added=self.money(30_000, 300_000, 1000), start_date=self.date(p.start_date)), [p.village])
        landed = self.ti("partner_projects")
        for i, income in enumerate(self.split_money(self.t("partner_income"), landed, 10_000)):
            partner = self.partners[i % len(self.partners)]
            v = rng.choice(self.village_by_township[partner.workstation.township.pk])
            add(P(name=f"{v.name}{partner.field}合伙人项目", kind=K.PARTNER, status=rng.choice([S.BUILDING, S.COMPLETED]), township=v.township,
                  partner=partner, investment=self.money(2_000_000, 30_000_000, 100_000), jobs=rng.randrange(10, 150), income_added=income,
                  start_date=self.date(partner.joined_on)), [v])
        for _ in range(self.ti("screened_projects")):
            v = rng.choice(self.rural)
            add(P(name=f"{v.name}{rng.choice(N.INDUSTRIES)}招引项目", kind=K.PARTNER, status=S.SCREENED, township=v.township,
                  investment=self.money(1_000_000, 50_000_000, 100_000), description="已筛选入库，面向合伙人招募。"), [v])
        self.floor("first_secretary_projects", len(self.fs_old))
        n_fs = self.ti("first_secretary_projects")
        owners = self.fs_old + [rng.choice(self.fs_old) for _ in range(n_fs - len(self.fs_old))]
        fs_kinds = ["光伏发电", "蔬菜大棚", "扶贫车间", "道路硬化", "冷库", "养殖小区", "村级电商服务站", "农产品加工坊"]
        invest = self.split_money(self.t("first_secretary_investment"), n_fs, 1000)
        income = self.split_money(self.t("first_secretary_income"), n_fs, 100)
        for s, inv, inc in zip(owners, invest, income):
            add(P(name=f"{s.village.name}{rng.choice(fs_kinds)}帮扶项目", kind=K.FIRST_SECRETARY, status=rng.choice([S.COMPLETED, S.COMPLETED, S.BUILDING]),
                  township=s.village.township, first_secretary=s, investment=inv, jobs=rng.randrange(0, 40), income_added=inc,
                  start_date=self.date(dt.date(2021, 7, 1), dt.date(2024, 3, 31))), [s.village])
        for s in rng.sample(self.fs_new, min(len(self.fs_new), self.n(24))):
            add(P(name=f"{s.village.name}{rng.choice(fs_kinds)}帮扶项目", kind=K.FIRST_SECRETARY, status=S.PLANNED, township=s.village.township,
                  first_secretary=s, investment=self.money(200_000, 2_000_000, 10_000), start_date=AS_OF), [s.village])
        for i in range(self.ti("mortgage_agri_projects")):
            v = rng.choice(self.rural)
            add(P(name=f"{v.name}按揭农业{['大棚', '果园', '养殖棚'][i % 3]}项目", kind=K.MORTGAGE_AGRI, status=S.COMPLETED, township=v.township,
                  investment=self.money(3_000_000, 15_000_000, 100_000), jobs=rng.randrange(10, 60), income_added=self.money(100_000, 600_000, 1000),
                  start_date=self.date(dt.date(2022, 1, 1), dt.date(2023, 12, 31))), [v])
        for i in range(self.n(12)):
            v = rng.choice(self.villages)
            add(P(name=f"{v.name}{['党群服务中心改造', '文化广场', '污水处理设施', '美丽庭院示范街'][i % 4]}", kind=K.OTHER,
                  status=rng.choice([S.PLANNED, S.BUILDING, S.COMPLETED]), township=v.township, investment=self.money(300_000, 3_000_000, 10_000),
                  start_date=self.date()), [v])
        for p, _ in projects:
            if p.start_date and p.status == S.COMPLETED:
                p.end_date = min(AS_OF, p.start_date + dt.timedelta(days=rng.randrange(120, 720)))
                if p.end_date < p.start_date:
                    p.end_date = p.start_date
        objs = self.save(vm.Project, [p for p, _ in projects])
        through = vm.Project.villages.through
        through.objects.bulk_create([through(project_id=p.pk, village_id=v.pk) for p, vs in projects for v in dict.fromkeys(vs)], batch_size=2000)
        self.project_list = objs

    def loans(self):
        rng = self.rng
        K = fc.LoanKind
        loans = []

        def loan(kind, amount, township, **kw):
            granted = kw.pop("granted_on", None) or self.date(dt.date(2021, 3, 1), dt.date(2024, 6, 15))
            term = kw.pop("term_months", rng.choice([12, 24, 36, 60]))
            due = granted + dt.timedelta(days=int(term * 30.4))
            status = fc.LoanStatus.REPAID if due < AS_OF else rng.choices([fc.LoanStatus.GRANTED, fc.LoanStatus.REPAYING, fc.LoanStatus.OVERDUE], weights=[3, 6, 0.2])[0]
            contract = f"HT{self.code}{granted.year}{len(loans) + 1:06d}"  # the bank's contract number (no draw: the rest as it was)
            loans.append(fm.Loan(kind=kind, bank=rng.choice(self.banks), contract_number=contract, amount=amount, township=township,
                                 granted_on=granted, due_on=due,
                                 term_months=term, annual_rate=Decimal(f"{rng.uniform(3.2, 5.6):.2f}"), status=status, **kw))

        financed = [p for p in self.project_list if p.kind in (vc.ProjectKind.KEY_ZONE, vc.ProjectKind.AGRI_PARK, vc.ProjectKind.PAIRING)]
        for amount in self.split_money(self.t("project_loans"), self.n(34), 10_000, spread=0.8):
            p = rng.choice(financed)
            borrower = p.pairing.enterprise.name if p.pairing else f"{p.township.name}{rng.choice(N.BRANDS)}乡村振兴发展有限公司"
            loan(K.PROJECT, amount, p.township, borrower_name=borrower, project=p, borrower_phone=self.phone(),
                 interest_subsidy=(amount * Decimal("0.01")).quantize(Decimal("1")), risk_compensation=Decimal(0))
        mortgage = [p for p in self.project_list if p.kind == vc.ProjectKind.MORTGAGE_AGRI]
        for p in mortgage:
            for _ in range(2):
                loan(K.MORTGAGE_AGRI, self.money(200_000, 1_500_000, 10_000), p.township, borrower_name=self.name(), project=p,
                     borrower_phone=self.phone(), interest_subsidy=self.money(2000, 20_000))
        n = self.ti("homestead_credit_households")
        chosen, holders = [], set()
        occupied = [h for h in self.parcels if h.use == fc.HomesteadUse.OCCUPIED and h.certificate_no]
        while len(chosen) < n:
            h = rng.choice(occupied)
            if h.holder_id_number not in holders:
                holders.add(h.holder_id_number)
                chosen.append(h)
        for h, amount in zip(chosen, self.split_money(self.t("homestead_credit_amount"), n, 1000, spread=0.5)):
            loan(K.HOMESTEAD_CREDIT, amount, h.village.township, village=h.village, homestead=h, borrower_name=h.holder_name,
                 borrower_id_number=h.holder_id_number, borrower_phone=self.phone(), term_months=rng.choice([12, 24, 36]),
                 granted_on=self.date(dt.date(2022, 3, 1), dt.date(2024, 6, 15)), risk_compensation=(amount * Decimal("0.005")).quantize(Decimal("1")))
        people = self.ti("startup_loans_people")
        borrowers = []
        for _ in range(people):
            gender = rng.choice("MF")
            birth = self.birth(1970, 2002)
            v = rng.choice(self.villages)
            borrowers.append((self.name(gender), self.id_number(birth, gender), v))
        repeat = rng.sample(borrowers, min(len(borrowers), self.n(180)))
        all_loans = borrowers + repeat
        for (name, idn, v), amount in zip(all_loans, self.split_money(self.t("startup_loans_amount"), len(all_loans), 1000, spread=0.7)):
            kind = K.STARTUP_GUARANTEE if rng.random() < 0.7 else K.LUQING
            loan(kind, amount, v.township, village=v, borrower_name=name, borrower_id_number=idn, borrower_phone=self.phone(),
                 interest_subsidy=(amount * Decimal("0.02")).quantize(Decimal("1")), term_months=rng.choice([12, 24, 36]))
        self.save(fm.Loan, loans)

    def land(self):
        rng = self.rng
        n = self.ti("land_transactions")
        self.floor("land_transactions_area", n)  # a mu at least each
        self.floor("land_transactions_income", 100 * n)
        areas = [Decimal(a) / 100 for a in apportion(int(self.t("land_transactions_area") * 100), [rng.uniform(0.3, 2.2) for _ in range(n)], minimum=100)]
        prices = apportion(int(self.t("land_transactions_income") / 100), [float(a) * rng.uniform(0.7, 1.3) for a in areas], minimum=1)
        deals = []
        dates = sorted(self.date(dt.date(2021, 4, 1)) for _ in range(n))
        for i, (area, price, day) in enumerate(zip(areas, prices, dates)):
            v = rng.choice(self.rural)
            deals.append(fm.LandTransaction(village=v, contract_no=f"{self.spec.short[0]}集建入市〔{day.year}〕{i + 1:03d}号", date=day, area_mu=area,
                                            price=Decimal(price) * 100, buyer=rng.choice(self.enterprise_list).name,
                                            use=rng.choice(fc.LandUse.values), term_years=rng.choice([40, 50])))
        self.save(fm.LandTransaction, deals)

    def surveys(self):
        rng = self.rng
        rounds = []
        for year in range(2021, 2025):
            for q in range(1, 5):
                if (year, q) > (2024, 2):
                    break
                start = dt.date(year, 3 * q - 2, 1)
                end = (dt.date(year, 3 * q, 28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
                rounds.append(vm.SurveyRound(year=year, quarter=q, start_date=start, end_date=end, theme=f"{year}年第{cn_number(q)}季度乡村振兴大调研"))
        self.save(vm.SurveyRound, rounds)
        titles = ["县委常委", "副县长", "县人大常委会副主任", "县政协副主席", "镇党委书记", "镇长", "镇党委副书记", "镇人大主席", "街道党工委书记", "组织委员"]
        leaders = [(self.name(), rng.choice(titles)) for _ in range(self.n(90))]
        zone_advisor = {}
        for a in self.advisors:
            for v in a.joint_committee.members:
                zone_advisor.setdefault(v.pk, a)
        assignments, visits = [], []
        tier_base = {vc.Tier.FOUNDATION: 2, vc.Tier.EXCELLENCE: 3, vc.Tier.MODEL: 4}
        analyses = [
            "班子团结，集体经济稳步发展，但产业结构单一，需引进带动能力强的项目。",
            "村内道路和人居环境明显改善，后备力量偏弱，需加强年轻党员培养。",
            "村企联建成效明显，集体收入增长较快，下一步拓展农产品销路。",
            "网格化管理运行顺畅，信用积分激励作用明显，群众满意度较高。",
            "集体资产管理不够规范，需完善台账，推进集体经营性资产盘活。",
        ]
        latest = rounds[-1]
        for r in rounds:
            leader_of = {}
            for v in self.villages:
                leader = leader_of.setdefault(v.township_id, [rng.choice(leaders) for _ in range(3)])
                name, title = rng.choice(leader)
                assignments.append(vm.SurveyAssignment(round=r, village=v, leader_name=name, leader_title=title, advisor=zone_advisor.get(v.pk)))
                if r is latest and rng.random() < 0.075:
                    continue  # not yet visited this quarter
                base = tier_base[v.tier]
                visits.append(vm.SurveyVisit(
                    round=r, village=v, visited_on=self.date(r.start_date, min(r.end_date, AS_OF)), visitors=f"{name}（{title}）等",
                    rating_organization=max(1, min(5, base + rng.choice([-1, 0, 0, 1]))), rating_industry=max(1, min(5, base + rng.choice([-1, 0, 1]))),
                    rating_talent=max(1, min(5, base + rng.choice([-1, 0, 0, 1]))), rating_governance=max(1, min(5, base + rng.choice([0, 0, 1]))),
                    rating_environment=max(1, min(5, base + rng.choice([-1, 0, 1]))), analysis=rng.choice(analyses)))
        self.save(vm.SurveyAssignment, assignments)
        self.save(vm.SurveyVisit, visits)
        problems_text = {
            vc.ProblemCategory.ORGANIZATION: ("党员活动阵地设施陈旧", "县委组织部"),
            vc.ProblemCategory.INDUSTRY: ("村集体经营性收入来源单一", "县农业农村局"),
            vc.ProblemCategory.TALENT: ("后备干部年龄偏大、学历偏低", "镇党委"),
            vc.ProblemCategory.GOVERNANCE: ("部分网格员履职不到位", "县委政法委"),
            vc.ProblemCategory.ENVIRONMENT: ("村内坑塘环境脏乱", "县住房和城乡建设局"),
            vc.ProblemCategory.LIVELIHOOD: ("村内部分道路破损影响出行", "县交通运输局"),
        }
        problems = []
        for visit in visits:
            for _ in range(rng.choices([0, 1, 2, 3], weights=[3, 4, 2, 1])[0]):
                category = rng.choice(list(problems_text))
                text, unit = problems_text[category]
                deadline = visit.visited_on + dt.timedelta(days=rng.choice([30, 45, 60, 90]))
                age = (AS_OF - deadline).days
                if age > 30:
                    status = rng.choices([vc.ProblemStatus.CLOSED, vc.ProblemStatus.IN_PROGRESS], weights=[0.95, 0.05])[0]
                else:
                    status = rng.choice([vc.ProblemStatus.OPEN, vc.ProblemStatus.IN_PROGRESS, vc.ProblemStatus.CLOSED])
                closed = None
                if status == vc.ProblemStatus.CLOSED:
                    closed = min(AS_OF, visit.visited_on + dt.timedelta(days=rng.randrange(7, 100)))
                problems.append(vm.SurveyProblem(
                    visit=visit, village=visit.village, category=category, description=f"{visit.village.name}{text}", responsible_unit=unit,
                    deadline=deadline, status=status, progress="已制定整改方案，明确责任人和时限。" if status != vc.ProblemStatus.OPEN else "",
                    closed_on=closed, closure_evidence="整改完成，已现场核验并拍照存档。" if closed else ""))
        self.save(vm.SurveyProblem, problems)

    def annual_targets(self):
        """The targets of 2023 and 2024 for the county, every township and every village with a
        record of the indicator the year before: last year's achievement raised by a margin that
        differs from one unit to the next. Drawn from a random stream of their own, so the rest of
        the county is the same with or without them."""
        rng = random.Random(self.seed + 2)

        def raised(value, low, high, counted):
            value = Decimal(value) * Decimal(str(round(rng.uniform(low, high), 2)))
            if counted:
                return Decimal(max(1, int(value.to_integral_value())))
            return max(Decimal(100), (value / 100).quantize(Decimal(1)) * 100)

        rows = []
        for year in (2023, 2024):
            before = T.achieved_raw(year - 1, county=self.county)  # counted from this county's records
            for key, ind in T.INDICATORS.items():
                got, counted = before[key], ind.unit == "count"
                if got["county"]:
                    rows.append(vm.Target(year=year, indicator=key, value=raised(got["county"], 1.05, 1.12, counted)))
                for township in self.townships:
                    if got["townships"].get(township.pk):
                        rows.append(vm.Target(year=year, indicator=key, township=township,
                                              value=raised(got["townships"][township.pk], 1.0, 1.2, counted)))
                for village in self.villages:
                    if got["villages"].get(village.pk):
                        rows.append(vm.Target(year=year, indicator=key, township_id=village.township_id, village=village,
                                              value=raised(got["villages"][village.pk], 0.9, 1.3, counted)))
        self.save(vm.Target, rows)

    def app_rows(self):
        """The rows the apps give in their ``demo.py`` (``wenshang.kernel.demo_rows``), app by app."""
        for label, rows in app_demos():
            before = sum(self.counts.values())
            rows(self)
            self.log(f"    {label}.{demo_rows.MODULE}: {sum(self.counts.values()) - before} rows")

    def users(self):
        """The county's users (password ``DEMO_PASSWORD``): admin, leader and finance of the portal's
        first county, a county official ``c<code>`` in a city, and a clerk ``t<code>`` per township."""
        password = make_password(DEMO_PASSWORD)
        users = []
        if self.spec.portal_users:
            users += [
                User(username="admin", role=Role.ADMIN, is_staff=True, first_name="县级管理员", county=self.county),
                User(username="leader", role=Role.OFFICIAL, is_staff=True, first_name="县领导", county=self.county),
                User(username="finance", role=Role.EDITOR, domain=Domain.FINANCE, is_staff=True, first_name="县金融办", county=self.county),
            ]
        if self.spec.city is not None:
            users.append(User(username=f"c{self.code}", role=Role.OFFICIAL, is_staff=True, first_name=f"{self.spec.name}领导", county=self.county))
        users += [User(username=f"t{t.code}", role=Role.TOWNSHIP, township=t, county=self.county, is_staff=True, first_name=f"{t.name}工作人员")
                  for t in self.townships]
        for u in users:
            u.password = password
            u.city_id = u.city_id or self.spec.city and self.spec.city.pk  # a county's users are of its city too
        User.objects.bulk_create(users)
