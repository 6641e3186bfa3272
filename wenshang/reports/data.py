"""What a quarterly survey report says, as plain data computed from the records.

``collect(subject, year, quarter)`` reads the records of the report's villages (the county, one
township or one joint-committee zone) in a fixed number of SQL queries, whatever the number of
villages (about 30), and returns dicts and lists only: the PDF and the XLSX are written from it.

Judgements are made as of the quarter's last day, so a report of a past quarter says what was
true then: a problem is open at the quarter's end when it was found by then and not closed by
then, overdue when its deadline had passed; a village's tier is the one its tier history gives
for that day. The chains' indicators are the quarter's flows (loans granted, projects started,
activities held …) next to the previous quarter's.
"""
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Q
from django.utils import timezone

from alliances.models import JointCommittee, JointCommitteeVillage
from villages.models import (
    City,
    CollectiveIncome,
    County,
    SurveyAssignment,
    SurveyProblem,
    SurveyRound,
    SurveyVisit,
    TierChange,
    Township,
    Village,
)
from wenshang.closing.selectors import revision_figures
from wenshang.kernel import formats
from wenshang.kernel.periods import previous_quarter, quarter_dates, quarter_of, reference_date  # noqa: F401  (data.quarter_of …)
from wenshang.web import figures

QUARTER_ZH = {1: "第一季度", 2: "第二季度", 3: "第三季度", 4: "第四季度"}
RATINGS = (
    ("rating_organization", "组织建设"),
    ("rating_industry", "产业发展"),
    ("rating_talent", "人才队伍"),
    ("rating_governance", "乡村治理"),
    ("rating_environment", "人居环境"),
)
CATEGORY_ZH = {
    "organization": "组织建设", "industry": "产业发展", "talent": "人才队伍", "governance": "乡村治理",
    "environment": "人居环境", "livelihood": "民生保障",
}
TIER_ZH = {"foundation": "强基", "excellence": "创优", "model": "示范"}
STATUS_ZH = {"open": "未整改", "in_progress": "整改中", "closed": "已销号"}


def pct(part, whole):
    return figures.share_pct(part, whole, 1)


def change_pct(now, before):
    return figures.growth_pct(now, before, 1)


def comparison(label, value, previous, unit, **extra):
    """A figure next to last quarter's: ``delta`` is the difference (percentage points for %, points for
    ratings) whenever both values exist; ``change`` the relative change in % (counts and amounts only,
    and only from a non-zero previous value)."""
    both = value is not None and previous is not None
    delta = round(float(value) - float(previous), 2) if both else None
    if delta is not None and float(delta).is_integer() and isinstance(value, int) and isinstance(previous, int):
        delta = int(delta)
    change = change_pct(value, previous) if unit not in ("%", "分") else None
    return {**extra, "label": label, "value": value, "previous": previous, "unit": unit, "delta": delta, "change": change}


# -- the subject ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Subject:
    """What a report covers: ``city:<code>`` (its counties compared), ``county:<code>`` (``county``: the
    database's only county), ``township:<code>`` or ``zone:<joint committee id>``."""

    scope: str
    township: object = None  # villages.Township (township reports; a zone's township when it lies in one)
    committee: object = None  # alliances.JointCommittee (zone reports)
    county: object = None  # villages.County (county reports; None: every record, a database of no county)
    city: object = None  # villages.City (city reports)

    @property
    def key(self):
        if self.scope == "city":
            return f"city:{self.city.code}"
        if self.scope == "township":
            return f"township:{self.township.code}"
        if self.scope == "zone":
            return f"zone:{self.committee.pk}"
        return f"county:{self.county.code}" if self.county is not None else "county"

    @property
    def name(self):
        if self.scope == "city":
            return self.city.name
        if self.scope == "township":
            return self.township.name
        if self.scope == "zone":
            return self.committee.name
        return self.county.name if self.county is not None else "全县"

    @property
    def city_id(self):
        """The city the report belongs to (a city's users read every report of it), or None."""
        if self.city is not None:
            return self.city.pk
        county = self.county_id
        return County.objects.filter(pk=county).values_list("city_id", flat=True).first() if county is not None else None

    @property
    def platform(self):
        """The portal's name on the report (the cover, the PDF's author): its city's or county's."""
        if self.city is not None:
            place = self.city.name
        else:
            county = self.county or (self.township.county if self.township is not None else
                                     self.committee.township.county if self.committee is not None else None)
            place = county.name if county is not None else "汶上县"
        return f"{place}乡村振兴“三链融合”服务平台"

    def counties(self):
        """The counties a city's report compares, by code."""
        return list(County.objects.filter(city=self.city).order_by("code")) if self.scope == "city" else []

    @property
    def county_id(self):
        """The county the report belongs to (its scope: who may read it)."""
        if self.county is not None:
            return self.county.pk
        if self.township is not None:
            return self.township.county_id
        if self.committee is not None:
            return self.committee.township.county_id
        return None

    def villages(self):
        qs = Village.objects.all()
        if self.scope == "city":
            qs = qs.filter(township__county__city=self.city)
        elif self.scope == "township":
            qs = qs.filter(township=self.township)
        elif self.scope == "zone":
            qs = qs.filter(zone_membership__committee=self.committee)
        elif self.county is not None:
            qs = qs.filter(township__county=self.county)
        return qs

    def title(self, year, quarter):
        return f"{self.name}{year}年{QUARTER_ZH[quarter]}乡村振兴大调研报告"


def subject_from_key(key):
    """The Subject of ``city:<code>``, ``county:<code>`` (``county``: the only county), ``township:<code>``
    or ``zone:<id>`` (LookupError if there is none)."""
    if key == "county":
        counties = list(County.objects.order_by("code")[:2])
        if len(counties) > 1:
            raise LookupError(key)  # several counties: name one
        return Subject("county", county=counties[0] if counties else None)
    kind, _, value = key.partition(":")
    if kind == "city":
        city = City.objects.filter(code=value).first()
        if city is None:
            raise LookupError(key)
        return Subject("city", city=city)
    if kind == "county":
        county = County.objects.filter(code=value).first()
        if county is None:
            raise LookupError(key)
        return Subject("county", county=county)
    if kind == "township":
        township = Township.objects.filter(code=value).first()
        if township is None:
            raise LookupError(key)
        return Subject("township", township=township)
    if kind == "zone" and value.isdigit():
        committee = JointCommittee.objects.select_related("township").filter(pk=int(value)).first()
        if committee is None:
            raise LookupError(key)
        return Subject("zone", township=zone_township(committee), committee=committee)
    raise LookupError(key)


def zone_township(committee):
    """The township a zone's report belongs to (its staff may read it): the committee's township when
    every village of the zone lies in it; otherwise none (the report is the county's)."""
    outside = JointCommitteeVillage.objects.filter(committee=committee).exclude(village__township=committee.township_id)
    return None if outside.exists() else committee.township


# -- the chains' indicators -------------------------------------------------------------------------
@dataclass(frozen=True)
class Indicator:
    """A chain's indicator: the metric (``wenshang.web.figures``) counted within the quarter, as the report
    labels it. A metric without a village path is not attributable to villages (a zone's shows —)."""

    chain: str
    label: str
    unit: str
    metric: str


INDICATORS = (
    Indicator("组织链", "联盟活动开展次数", "次", "alliance_activities"),
    Indicator("组织链", "网格事件上报数", "件", "grid_events_reported"),
    Indicator("组织链", "网格事件办结数", "件", "grid_events_closed"),
    Indicator("组织链", "信用积分记录数", "条", "credit_records"),
    Indicator("组织链", "孔子讲学堂开讲场次", "场", "lectures"),
    Indicator("组织链", "孔子讲学堂听讲人次", "人次", "lecture_attendance"),
    Indicator("产业链", "新开工项目数", "个", "projects_started"),
    Indicator("产业链", "新开工项目投资", "万元", "projects_investment"),
    Indicator("产业链", "新签村企联建数", "对", "pairings_signed"),
    Indicator("产业链", "新发放贷款笔数", "笔", "loans_granted"),
    Indicator("产业链", "新发放贷款金额", "万元", "loans_amount"),
    Indicator("产业链", "集体经营性建设用地入市宗数", "宗", "land_transactions"),
    Indicator("产业链", "集体经营性建设用地入市成交额", "万元", "land_transactions_income"),
    Indicator("人才链", "归雁回引人数", "人", "returnees"),
    Indicator("人才链", "新增后备人才", "人", "reserve_cadres"),
    Indicator("人才链", "参加培训人次", "人次", "training_attendances"),
    Indicator("人才链", "第一书记出勤率", "%", "secretary_attendance"),
)
TEN_THOUSAND = Decimal(10000)


def _indicator_values(ind, subject, village_ids, periods):
    """[value for each (start, end) of ``periods``] of one indicator (one SQL query)."""
    if subject.scope == "township":
        values = figures.period_values([ind.metric], periods, township=subject.township)
    elif subject.scope == "zone":
        values = figures.period_values([ind.metric], periods, villages=village_ids)
    else:
        values = figures.period_values([ind.metric], periods, county=subject.county_id)
    out = []
    for value in values[ind.metric]:
        if isinstance(value, Decimal):
            value = float((value / TEN_THOUSAND).quantize(Decimal("0.01"))) if ind.unit == "万元" else int(value)
        out.append(value)
    return out


def chain_indicators(subject, village_ids, year, quarter):
    now = quarter_dates(year, quarter)
    before = quarter_dates(*previous_quarter(year, quarter))
    rows = []
    for ind in INDICATORS:
        value, previous = _indicator_values(ind, subject, village_ids, [now, before])
        rows.append(comparison(ind.label, value, previous, ind.unit, chain=ind.chain))
    return rows


LOAN_QUARTERS = 4


def loans_by_quarter(subject, village_ids, year, quarter):
    """Loans granted in each of the last ``LOAN_QUARTERS`` quarters up to this one, oldest first
    (the chain indicators 新发放贷款笔数 and 新发放贷款金额: two queries)."""
    quarters = [(year, quarter)]
    while len(quarters) < LOAN_QUARTERS:
        quarters.insert(0, previous_quarter(*quarters[0]))
    periods = [quarter_dates(y, q) for y, q in quarters]
    by_label = {ind.label: ind for ind in INDICATORS}
    counts = _indicator_values(by_label["新发放贷款笔数"], subject, village_ids, periods)
    amounts = _indicator_values(by_label["新发放贷款金额"], subject, village_ids, periods)
    return [{"year": y, "quarter": q, "label": f"{y}年{QUARTER_ZH[q]}", "count": count, "amount": amount}
            for (y, q), count, amount in zip(quarters, counts, amounts)]


# -- tiers ------------------------------------------------------------------------------------------
def tiers_on(villages, changes, day):
    """{village id: tier on ``day``} from the tier history (the latest change dated by then; before the
    first change, the tier it changed from; a village without history keeps its current tier)."""
    by_village = defaultdict(list)
    for c in changes:
        by_village[c["village_id"]].append(c)
    out = {}
    for v in villages:
        history = sorted(by_village.get(v["id"], []), key=lambda c: (c["date"], c["id"]))
        past = [c for c in history if c["date"] <= day]
        if past:
            out[v["id"]] = past[-1]["to_tier"]
        elif history:
            out[v["id"]] = history[0]["from_tier"] or history[0]["to_tier"]
        else:
            out[v["id"]] = v["tier"]
    return out


# -- problems ---------------------------------------------------------------------------------------
def problem_counts(problems, start, end):
    """The problem figures of the quarter ``start``–``end``: found and closed in it, open and overdue at its end."""
    by_end = [p for p in problems if p["found"] <= end]
    open_at_end = [p for p in by_end if p["closed_on"] is None or p["closed_on"] > end]
    return {
        "found": sum(1 for p in by_end if p["found"] >= start),
        "closed": sum(1 for p in by_end if p["closed_on"] is not None and start <= p["closed_on"] <= end),
        "open": len(open_at_end),
        "overdue": sum(1 for p in open_at_end if p["deadline"] < end),
    }


# -- the report's data ------------------------------------------------------------------------------
def heading(subject, year, quarter):
    """What every report says of itself: its title, portal, subject, scope, quarter and dates."""
    start, end = quarter_dates(year, quarter)
    py, pq = previous_quarter(year, quarter)
    return {
        "title": subject.title(year, quarter), "platform": subject.platform, "subject": subject.name,
        "scope": subject.scope, "year": year, "quarter": quarter, "quarter_zh": QUARTER_ZH[quarter],
        "start": start, "end": end, "previous": f"{py}年{QUARTER_ZH[pq]}", "as_of": reference_date(),
        "generated_at": timezone.localtime(),
    }


CHAIN_ZH = {"organization": "组织链", "industry": "产业链", "talent": "人才链"}


def official_figures(subject, year, quarter, revision):
    """The official report's frozen figures (a county's closed quarter, at ``revision``): the
    catalogue's figures as the snapshot holds them, in the catalogue's order, each marked when a
    correction revised it since the close (``first_shown``: what it was then); None when the
    quarter has no such revision."""
    if subject.scope != "county" or subject.county_id is None or revision is None:
        return None
    found = revision_figures(subject.county_id, year, quarter, revision)
    if found is None:
        return None
    rows = []
    for key, fig in figures.catalogue().items():
        if key not in found["values"]:
            continue
        value, first = found["values"][key], found["first"].get(key)
        rows.append({"key": key, "chain": CHAIN_ZH.get(fig.chain, fig.chain), "label": fig.label_zh, "unit": fig.unit,
                     "value": value, "shown": formats.figure(value, fig.unit), "revised": first != value,
                     "first": first, "first_shown": formats.figure(first, fig.unit) if first != value else ""})
    return {**{k: found[k] for k in ("revision", "closed_at", "made_at", "reason")}, "rows": rows,
            "revised": sum(1 for r in rows if r["revised"])}


def collect(subject, year, quarter, progress=None, revision=None):
    """Everything the report shows (plain data). ``progress(done, total)`` is called as villages are read;
    ``revision``: the official version of a closed quarter, its frozen figures at that revision."""
    if subject.scope == "city":
        return collect_city(subject, year, quarter, progress)
    start, end = quarter_dates(year, quarter)
    py, pq = previous_quarter(year, quarter)
    pstart, pend = quarter_dates(py, pq)
    village_qs = subject.villages()
    villages = list(
        village_qs.order_by("township__code", "code").values(
            "id", "code", "name", "tier", "households", "population", "kind", "township_id", "township__name", "township__code",
        )
    )
    ids = [v["id"] for v in villages]
    in_scope = {"village__in": village_qs.values("pk")} if subject.scope != "county" else {}
    if subject.scope == "county" and subject.county is not None:
        in_scope = {"village__township__county": subject.county}  # one county of several: its villages only
    rounds = SurveyRound.objects.filter(county=subject.county_id) if subject.county_id is not None else SurveyRound.objects.all()
    survey_round = rounds.filter(year=year, quarter=quarter).first()
    previous_round = rounds.filter(year=py, quarter=pq).first()

    visits = list(
        SurveyVisit.objects.filter(**in_scope, visited_on__gte=pstart, visited_on__lte=end)
        .order_by("visited_on", "pk")
        .values("id", "village_id", "round_id", "visited_on", "visitors", "analysis", *[f for f, _ in RATINGS])
    )
    this_visits = [v for v in visits if start <= v["visited_on"] <= end]
    prev_visits = [v for v in visits if pstart <= v["visited_on"] <= pend]
    assignments = {
        a["village_id"]: a
        for a in SurveyAssignment.objects.filter(**in_scope, round=survey_round).values(
            "village_id", "leader_name", "leader_title", "advisor__name", "advisor__department"
        )
    } if survey_round else {}
    # problems found by the quarter's end and not closed before the previous quarter's start (this
    # quarter's list keeps those not closed before its own start; the others count for last quarter)
    all_problems = list(
        SurveyProblem.objects.filter(**in_scope, visit__visited_on__lte=end)
        .filter(Q(closed_on__isnull=True) | Q(closed_on__gte=pstart))
        .order_by("deadline", "pk")
        .values("id", "village_id", "category", "description", "responsible_unit", "deadline", "status", "progress",
                "closed_on", found=F("visit__visited_on"))
    )
    problems = [p for p in all_problems if p["closed_on"] is None or p["closed_on"] >= start]
    for p in problems:
        p["closed_by_end"] = p["closed_on"] is not None and p["closed_on"] <= end
        p["open_at_end"] = not p["closed_by_end"]
        p["overdue_at_end"] = p["open_at_end"] and p["deadline"] < end
        p["found_in_quarter"] = start <= p["found"] <= end
        p["status_at_end"] = "closed" if p["closed_by_end"] else ("open" if p["status"] == "closed" else p["status"])
    changes = list(TierChange.objects.filter(**in_scope).values("id", "village_id", "date", "from_tier", "to_tier", "reason",
                                                                 "decided_by"))
    zones = {
        z["village_id"]: z
        for z in JointCommitteeVillage.objects.filter(**in_scope).values("village_id", "committee__name", "department")
    }
    incomes = defaultdict(dict)
    for row in CollectiveIncome.objects.filter(**in_scope, year__in=[year - 1, year]).values("village_id", "year", "amount"):
        incomes[row["village_id"]][row["year"]] = row["amount"]

    # -- summary and coverage
    visited = {v["village_id"] for v in this_visits}
    visited_before = {v["village_id"] for v in prev_visits}
    found = [p for p in problems if p["found_in_quarter"]]
    closed_in_quarter = [p for p in problems if p["closed_on"] is not None and start <= p["closed_on"] <= end]
    open_at_end = [p for p in problems if p["open_at_end"]]
    overdue = [p for p in problems if p["overdue_at_end"]]
    before = problem_counts(all_problems, pstart, pend)

    def averages(rows):
        if not rows:
            return {f: None for f, _ in RATINGS}
        return {f: round(sum(r[f] for r in rows) / len(rows), 2) for f, _ in RATINGS}

    avg_now, avg_before = averages(this_visits), averages(prev_visits)
    # The villages are today's; last quarter's coverage is counted against the same villages.
    summary = [
        ("村（社区）数", len(villages), len(villages), "个"),
        ("已走访村数", len(visited), len(visited_before), "个"),
        ("走访覆盖率", pct(len(visited), len(villages)), pct(len(visited_before), len(villages)), "%"),
        ("走访次数", len(this_visits), len(prev_visits), "次"),
        ("本季度发现问题", len(found), before["found"], "个"),
        ("本季度销号问题", len(closed_in_quarter), before["closed"], "个"),
        ("季末未销号问题", len(open_at_end), before["open"], "个"),
        ("其中逾期问题", len(overdue), before["overdue"], "个"),
    ]
    summary += [(f"平均评分·{label}", avg_now[f], avg_before[f], "分") for f, label in RATINGS]
    summary = [comparison(label, value, previous, unit) for label, value, previous, unit in summary]

    tier_end = tiers_on(villages, changes, end)
    tier_before = tiers_on(villages, changes, pend)
    groups = {}
    for v in villages:
        if subject.scope == "county":
            key, name = v["township__code"], v["township__name"]
        else:
            zone = zones.get(v["id"])
            key = name = zone["committee__name"] if zone else "未纳入联建片区"
        g = groups.setdefault(key, {"name": name, "villages": 0, "visited": 0, "not_visited": [], "open": 0, "overdue": 0,
                                    "tiers": {label: 0 for label in TIER_ZH.values()}})
        g["villages"] += 1
        if tier_end[v["id"]] in TIER_ZH:
            g["tiers"][TIER_ZH[tier_end[v["id"]]]] += 1
        if v["id"] in visited:
            g["visited"] += 1
        else:
            g["not_visited"].append(v["name"])
    open_by_village = Counter(p["village_id"] for p in open_at_end)
    overdue_by_village = Counter(p["village_id"] for p in overdue)
    for v in villages:
        zone = zones.get(v["id"])
        key = v["township__code"] if subject.scope == "county" else (zone["committee__name"] if zone else "未纳入联建片区")
        groups[key]["open"] += open_by_village[v["id"]]
        groups[key]["overdue"] += overdue_by_village[v["id"]]
    coverage = [{**g, "coverage": pct(g["visited"], g["villages"])} for g in groups.values()]
    names = {v["id"]: v for v in villages}
    not_visited = [
        {"township": v["township__name"], "village": v["name"], "code": v["code"],
         "leader": assignments.get(v["id"], {}).get("leader_name", "")}
        for v in villages if v["id"] not in visited
    ]

    # -- problems by category and status
    categories = list(CATEGORY_ZH)
    by_category = []
    for cat in categories:
        rows = [p for p in problems if p["category"] == cat]
        by_category.append({
            "category": CATEGORY_ZH[cat],
            "found": sum(1 for p in rows if p["found_in_quarter"]),
            "closed": sum(1 for p in rows if p["closed_on"] is not None and start <= p["closed_on"] <= end),
            "open": sum(1 for p in rows if p["status_at_end"] == "open"),
            "in_progress": sum(1 for p in rows if p["status_at_end"] == "in_progress"),
            "overdue": sum(1 for p in rows if p["overdue_at_end"]),
        })
    overdue_list = [
        {"township": names[p["village_id"]]["township__name"], "village": names[p["village_id"]]["name"],
         "category": CATEGORY_ZH.get(p["category"], p["category"]), "description": p["description"],
         "unit": p["responsible_unit"], "deadline": p["deadline"], "days": (end - p["deadline"]).days,
         "status": STATUS_ZH.get(p["status_at_end"], p["status_at_end"])}
        for p in sorted(overdue, key=lambda p: (p["deadline"], p["id"]))
    ]

    # -- tiers
    tier_rows = [{"tier": TIER_ZH[t], "now": sum(1 for x in tier_end.values() if x == t),
                  "before": sum(1 for x in tier_before.values() if x == t)} for t in ("foundation", "excellence", "model")]
    tier_changes = [
        {"village": names[c["village_id"]]["name"], "township": names[c["village_id"]]["township__name"], "date": c["date"],
         "from": TIER_ZH.get(c["from_tier"], "—"), "to": TIER_ZH.get(c["to_tier"], c["to_tier"]), "reason": c["reason"],
         "decided_by": c["decided_by"]}
        for c in sorted(changes, key=lambda c: (c["date"], c["id"])) if start <= c["date"] <= end and c["village_id"] in names
    ]

    # -- one page per village
    visits_by_village = defaultdict(list)
    for v in this_visits:
        visits_by_village[v["village_id"]].append(v)
    prev_by_village = defaultdict(list)
    for v in prev_visits:
        prev_by_village[v["village_id"]].append(v)
    problems_by_village = defaultdict(list)
    for p in problems:
        problems_by_village[p["village_id"]].append(p)
    pages = []
    total = len(villages)
    for i, v in enumerate(villages, 1):
        own = visits_by_village.get(v["id"], [])
        latest = own[-1] if own else None
        before = prev_by_village.get(v["id"], [])
        prev_latest = before[-1] if before else None
        assignment = assignments.get(v["id"], {})
        zone = zones.get(v["id"])
        vp = problems_by_village.get(v["id"], [])
        pages.append({
            "id": v["id"], "name": v["name"], "code": v["code"], "township": v["township__name"],
            "zone": zone["committee__name"] if zone else "", "department": zone["department"] if zone else "",
            "tier": TIER_ZH.get(tier_end[v["id"]], ""), "tier_before": TIER_ZH.get(tier_before[v["id"]], ""),
            "households": v["households"], "population": v["population"],
            "leader": " ".join(x for x in (assignment.get("leader_name"), assignment.get("leader_title")) if x),
            "advisor": "".join(x for x in (assignment.get("advisor__name") or "",
                                             f"（{assignment['advisor__department']}）" if assignment.get("advisor__department") else "")),
            "visits": [{"date": x["visited_on"], "visitors": x["visitors"]} for x in own],
            "ratings": [(label, latest[f] if latest else None, prev_latest[f] if prev_latest else None) for f, label in RATINGS],
            "analysis": latest["analysis"] if latest else "",
            "problems": [
                {"category": CATEGORY_ZH.get(p["category"], p["category"]), "description": p["description"],
                 "unit": p["responsible_unit"], "deadline": p["deadline"], "found": p["found"],
                 "status": STATUS_ZH.get(p["status_at_end"], p["status_at_end"]), "overdue": p["overdue_at_end"],
                 "new": p["found_in_quarter"]}
                for p in vp if p["open_at_end"] or p["found_in_quarter"] or p["closed_by_end"]
            ],
            "income": incomes[v["id"]].get(year - 1), "income_year": year - 1,
        })
        if progress is not None and (i % 20 == 0 or i == total):
            progress(i, total)

    return {
        **heading(subject, year, quarter),
        "official": official_figures(subject, year, quarter, revision),
        "round": str(survey_round.theme or survey_round) if survey_round else "",
        "round_dates": (survey_round.start_date, survey_round.end_date) if survey_round else None,
        "previous_round": bool(previous_round),
        "summary": summary,
        "coverage": coverage,
        "coverage_by": "镇街" if subject.scope == "county" else "联建片区",
        "not_visited": not_visited,
        "by_category": by_category,
        "overdue": overdue_list,
        "tiers": tier_rows,
        "tier_changes": tier_changes,
        "indicators": chain_indicators(subject, ids, year, quarter),
        "loans": loans_by_quarter(subject, ids, year, quarter),
        "villages": pages,
    }


# -- a city's report: its counties compared ----------------------------------------------------------
# The figures the counties are ranked by: (label, where it is read, unit, whether more is better).
RANKED = (
    ("走访覆盖率", "summary", "%", True),
    ("本季度发现问题", "summary", "个", None),
    ("本季度销号问题", "summary", "个", True),
    ("季末未销号问题", "summary", "个", False),
    ("其中逾期问题", "summary", "个", False),
    ("新发放贷款金额", "indicators", "万元", True),
    ("新开工项目投资", "indicators", "万元", True),
    ("集体经营性建设用地入市成交额", "indicators", "万元", True),
    ("归雁回引人数", "indicators", "人", True),
    ("参加培训人次", "indicators", "人次", True),
)


def rank(values, higher_first=True):
    """[rank of each value] (1 = first; equal values share a rank; None last)."""
    known = sorted((v for v in values if v is not None), reverse=higher_first)
    return [known.index(v) + 1 if v is not None else None for v in values]


def collect_city(subject, year, quarter, progress=None):
    """A city's report: each county's report (``collect`` of the county, the same figures as the
    county's own report of the quarter) without its village pages, and the counties ranked."""
    counties = subject.counties()
    parts = []
    for i, county in enumerate(counties, 1):
        report = collect(Subject("county", county=county), year, quarter)
        parts.append({
            "name": county.name, "code": county.code, "villages": len(report["villages"]),
            "summary": report["summary"], "coverage": report["coverage"], "tiers": report["tiers"],
            "indicators": report["indicators"], "overdue": len(report["overdue"]),
        })
        if progress is not None:
            progress(i, len(counties))
    rankings = []
    for label, where, unit, higher in RANKED:
        values = [next(r["value"] for r in part[where] if r["label"] == label) for part in parts]
        ranks = rank(values, higher_first=higher is not False)
        rows = sorted(zip(ranks, parts, values), key=lambda r: (r[0] is None, r[0] or 0, r[1]["code"]))
        rankings.append({"label": label, "unit": unit, "better": higher, "rows": [
            {"rank": r, "county": part["name"], "code": part["code"], "value": value} for r, part, value in rows]})
    totals = [comparison(label, sum(next(r["value"] for r in p["summary"] if r["label"] == label) for p in parts),
                         sum(next(r["previous"] for r in p["summary"] if r["label"] == label) or 0 for p in parts), unit)
              for label, unit in (("村（社区）数", "个"), ("已走访村数", "个"), ("走访次数", "次"), ("本季度发现问题", "个"),
                                  ("本季度销号问题", "个"), ("季末未销号问题", "个"), ("其中逾期问题", "个"))]
    villages, visited = totals[0], totals[1]
    totals.insert(2, comparison("走访覆盖率", pct(visited["value"], villages["value"]),
                                pct(visited["previous"], villages["previous"]), "%"))
    return {
        **heading(subject, year, quarter),
        "totals": totals,
        "counties": parts,
        "rankings": rankings,
        "villages": [],  # the villages' pages are in each county's own report
    }
