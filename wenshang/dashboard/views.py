"""The dashboards: the county overview (the portal's start page), a township's dashboard, the
county map and its data.

Every figure shown links to the list of the records behind it (``figures.drills()``): a count
links to exactly the rows counted, a sum to the rows summed. The numbers come from
``wenshang.dashboard.data`` (cached); only labels and links are made here, per request.

Scope (``wenshang.kernel.scope.scope_of``): a county's users (administrators, officials, department
editors) see their county and any of its townships; township staff see their own township's
dashboard (at ``/`` too) and nothing wider; a city's users see the city's counties compared and
ranked (``city``) and drill city → county → township → village; a deployment's administrator sees
every county (the database's only one as the county page). The figures are always those of the
county shown, never the sum of several counties under one name.
"""
import re
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from functools import cache as memoize
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import get_resolver, reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from finance.choices import LoanKind
from villages.choices import ProjectKind, ProjectStatus, TargetIndicator, Tier
from villages.models import City, County, Township, Village
from wenshang.closing.selectors import closed_quarters, frozen_figures
from wenshang.dashboard import data as dash
from wenshang.dashboard import geo, targets
from wenshang.kernel import formats
from wenshang.kernel.scope import permission_filter, scope_of
from wenshang.web import figures
from wenshang.web.portal import REGISTRY

CHAINS = [
    ("organization", gettext_lazy("Organization chain")),
    ("industry", gettext_lazy("Industry chain")),
    ("talent", gettext_lazy("Talent chain")),
]
REFRESH_SECONDS = 300  # the big screen reloads itself
TIER_COLORS = {"foundation": "#c0392b", "excellence": "#f39c12", "model": "#1e8449"}  # as on the map


# -- formatting ------------------------------------------------------------------------------------
show = formats.figure  # a figure as people read it (counts, 元/万元/亿元, 亩, percentages)


# How a figure's change against an earlier quarter reads (README: "How the tiles show a change").
PERCENT_FROM = {"count": 100, "yuan": 1_000_000, "mu": 100}  # a percent only from such a base up
TONES = {"up": "text-success", "down": "text-danger", "flat": "text-body-secondary"}


def change(value, base, unit):
    """A figure's change from ``base`` to ``value`` as a leader reads it on a tile, or None when there
    is nothing to compare (no value, no base, or a figure that is itself a percentage):

    - the same value: 持平;
    - a base large enough (100 for counts and 亩, 100万元 for money): the change in percent, one place
      (``+4.6%``), unless it is below 0.1% in size, then as for a small base;
    - a small base: the difference itself, as the figure reads (``+12``, ``+520.00万元``, ``+3.50亩``).

    Returns {"text", "tone" (up, down, flat), "css"}; the tiles' comparison and the periods pages
    both show it."""
    if value is None or base is None or unit == "percent":
        return None
    now, then = Decimal(str(value)), Decimal(str(base))
    diff = now - then
    if diff == 0:
        return {"text": str(_("no change (flat)")), "tone": "flat", "css": TONES["flat"]}
    sign, tone = ("+", "up") if diff > 0 else ("−", "down")
    text = None
    threshold = PERCENT_FROM.get(unit)
    if threshold is not None and then >= threshold:
        pct = abs(diff) * 100 / then
        if pct >= Decimal("0.05"):
            text = f"{sign}{formats.grouped(pct, 1)}%"
    if text is None:
        text = sign + show(abs(diff), unit)
    return {"text": text, "tone": tone, "css": TONES[tone]}


@memoize
def list_path(plural):
    if plural not in REGISTRY:
        get_resolver().url_patterns  # noqa: B018  (importing the URLconf registers every app's ModelViews)
    return reverse(REGISTRY[plural].url_name("list"))


_LINKED_COUNTY = ContextVar("dashboard_linked_county", default=None)


@contextmanager
def county_links(county):
    """Inside: lists are linked with ``county=<id>`` (the county page of a database of several), unless
    a link names a township or village already."""
    token = _LINKED_COUNTY.set(getattr(county, "pk", county))
    try:
        yield
    finally:
        _LINKED_COUNTY.reset(token)


def list_url(plural, params=()):
    url = list_path(plural)
    params = list(params)
    county = _LINKED_COUNTY.get()
    if county is not None and not any(name in ("township", "village") for name, _value in params):
        params.append(("county", county))
    return f"{url}?{urlencode(params, doseq=True)}" if params else url


def drill_url(key, township=None):
    drill = figures.drills()[key]
    return list_url(drill.plural, drill.query(township))


# -- access ----------------------------------------------------------------------------------------
def county_reader(user):
    """Whether ``user`` reads a whole county or more (every township of it): not township staff."""
    allowed = permission_filter(user, Village, "view")
    return allowed is not False and scope_of(user).level != "township"


def township_for(user, pk):
    return get_object_or_404(Township.objects.restrict(user, "view").select_related("county", "county__city"), pk=pk)


def county_for(user, pk):
    return get_object_or_404(County.objects.restrict(user, "view").select_related("city"), pk=pk)


def several_counties():
    """Whether the database holds more than one county (cached with the dashboards: no query when warm)."""
    key = f"{dash.key(None)}:several-counties"
    found = cache.get(key)
    if found is None:
        found = County.objects.order_by()[:2].count() > 1
        cache.set(key, found, dash.ttl(key))
    return found


def own_county(user):
    """The county page a county-wide user lands on: their county; the only county for a deployment's
    administrator of one county (None: every record, as before there were several); None otherwise."""
    scope = scope_of(user)
    if scope.county_id:
        return user.county  # loaded with the signed-in user (``LockoutBackend.get_user``), with its city
    return None


# -- pages -----------------------------------------------------------------------------------------
@login_required
def home(request):
    """The start page: a county's dashboard for its users, a township's for its staff, the city's
    counties compared for a city's users (and for a deployment's administrator of several counties)."""
    user = request.user
    scope = scope_of(user)
    if permission_filter(user, Village, "view") is False:
        raise PermissionDenied
    if scope.level == "township":
        return dashboard(request, township_for(user, user.township_id))
    if scope.level == "county":
        return dashboard(request, None, own_county(user))
    if scope.level == "city" or several_counties():
        return city_page(request, user.city if scope.city_id else None)  # loaded with the user
    return dashboard(request, None)


@login_required
def township(request, pk):
    return dashboard(request, township_for(request.user, pk))


@login_required
def county(request, pk):
    """A county's dashboard (a city's users drill into it from the city's page)."""
    return dashboard(request, None, county_for(request.user, pk))


@login_required
def city(request, pk):
    city = get_object_or_404(City.objects.restrict(request.user, "view"), pk=pk)
    return city_page(request, city)


# The figures a city's page compares its counties by (each county ranked; the list's first by default).
CITY_FIGURES = ["villages", "grids", "homestead_parcels", "alliances", "paired_enterprises", "project_loans",
                "agri_loan_balance", "land_transactions_income", "reserve_cadres", "partners"]


def city_page(request, city):
    """The counties of ``city`` (None: every county the user may read) side by side: each county's key
    figures (its own records only), its rank for each, linked to the county's dashboard."""
    user = request.user
    counties = list(County.objects.restrict(user, "view").select_related("city").order_by("code"))
    if city is not None:
        counties = [c for c in counties if c.city_id == city.pk]
    info = figures.catalogue()
    wanted = request.GET.get("sort")
    sort = wanted if wanted in CITY_FIGURES else CITY_FIGURES[0]
    key = f"{dash.key(None)}:city:{','.join(str(c.pk) for c in counties)}"  # any write makes the comparison stale
    by_county = cache.get(key)
    if by_county is None:
        found = figures.per_county_values(CITY_FIGURES, counties)  # one query over the counties' aggregates
        by_county = {c.pk: {k: found[k][c.pk] for k in CITY_FIGURES} for c in counties}
        cache.set(key, by_county, dash.ttl(key))
    rows = [{"county": c, "url": reverse("dashboard:county", args=[c.pk]), "values": by_county[c.pk]} for c in counties]
    columns = []
    for k in CITY_FIGURES:
        ordered = sorted((r["values"].get(k) or 0 for r in rows), reverse=True)
        for r in rows:
            value = r["values"].get(k)
            r.setdefault("cells", {})[k] = {"shown": show(value, info[k].unit), "rank": ordered.index(value or 0) + 1}
        columns.append({"key": k, "label": info[k].label, "unit": info[k].unit, "sorted": k == sort,
                        "total": show(sum(Decimal(str(r["values"].get(k) or 0)) for r in rows), info[k].unit)
                        if info[k].unit != "percent" else ""})
    rows.sort(key=lambda r: (r["cells"][sort]["rank"], r["county"].code))
    for r in rows:
        r["cells"] = [r["cells"][k] for k in CITY_FIGURES]
    crumbs = [(city.name, reverse("dashboard:city", args=[city.pk]))] if city is not None else []
    return render(request, "dashboard/city.html", {
        "city": city, "rows": rows, "columns": columns, "sort": sort, "as_of": settings.PORTAL_DATA_AS_OF,
        "breadcrumbs": crumbs,
    })


def dashboard(request, township, county=None):
    """A dashboard page. Its content (figures, links, charts, tables) is rendered once per scope,
    period, language and screen, and cached with the data it was made from (the key holds the
    versions of the scopes it shows, kept in the cache), so a warm page costs the session and the
    user (2 queries)."""
    t = township.pk if township is not None else None
    county = township.county if township is not None else county
    c = county.pk if county is not None else None  # the county shown (or the township's); None: every record
    page_c = c if t is None else None
    big = request.GET.get("screen") == "big"
    wanted = request.GET.get("period", "")
    wanted = wanted if re.fullmatch(r"\d{4}Q[1-4]", wanted) else ""
    data_key = dash.key(t, page_c)
    page_key = f"{data_key}:page:{get_language()}:{wanted}:{int(big)}"
    page = cache.get(page_key)
    if page is None:
        data = dash.get(t, key=data_key, county=c)
        with county_links(page_c):
            context = view_model(township, data, wanted, big, county=c)
            year = data["as_of"].year
            units = [(r["pk"], r["name"], r["code"]) for r in data["ranking"]]
            target_data = targets.get(year, t, key=data_key, units=units, county=page_c)  # 2 queries
            context.update(targets=target_view_model(target_data, township), targets_year=year,
                           schedule=target_data["schedule"],
                           targets_url=reverse("dashboard:targets") + (f"?township={t}" if t is not None else
                                                                      f"?county={page_c}" if page_c is not None else ""))
            if page_c is not None:
                context["compare_url"] += f"&county={page_c}"
            context["county"] = county
            page = {"context": context, "html": render_to_string("dashboard/_content.html", context)}
        cache.set(page_key, page, dash.ttl(page_key))
    return render(request, "dashboard/dashboard.html", {**page["context"], "content": mark_safe(page["html"]),
                                                        "breadcrumbs": breadcrumbs(township, county, request.user)})


def view_model(township, data, wanted, big, county=None):
    """Everything the dashboard's content shows: labels, values as read, links (``county``: the county
    shown or the township's, whose closed quarters are marked 已锁定)."""
    t = township.pk if township is not None else None
    values = data["figures"]
    info = figures.catalogue()

    # -- the catalogue's figures, by chain
    chains = []
    absent = []  # a township's dashboard shows what the township has: its zeros are named in one line
    for chain, label in CHAINS:
        tiles = []
        for key, fig in info.items():
            if fig.chain != chain or values.get(key) is None:
                continue
            if t is not None and (key in figures.COUNTY_ONLY or not values[key]):
                if key not in figures.COUNTY_ONLY:
                    absent.append(fig.label)
                continue
            url = None
            if key in figures.drills():
                url = drill_url(key, t)
            elif key == "agri_loan_balance" and data["agri_quarters"]:
                last = data["agri_quarters"][-1]
                url = list_url("agri-loan-reports", [("year", last["year"]), ("quarter", last["quarter"])])
            elif key == "agri_loan_growth_pct":
                url = list_url("agri-loan-reports")
            tiles.append({"key": key, "label": fig.label, "value": values[key], "shown": show(values[key], fig.unit),
                          "url": url, "period": fig.period})
        chains.append({"key": chain, "label": str(label), "tiles": tiles})

    # -- derived figures
    tier_labels = dict(Tier.choices)
    villages = values.get("villages") or 0
    derived = []

    def add(key, label, value, unit, url):
        derived.append({"key": key, "label": label, "value": value, "shown": show(value, unit), "url": url})

    jc_share = dash.share(values.get("joint_committee_villages"), villages)
    add("joint_committee_share", _("Share of villages covered by joint committees"), jc_share, "percent",
        drill_url("joint_committee_villages", t))
    for tier in Tier.values:
        add(f"tier_{tier}", _("Villages of tier “%(tier)s”") % {"tier": tier_labels[tier]}, data["tiers"].get(tier, 0),
            "count", list_url("villages", [("tier", tier)] + ([("township", t)] if t else [])))
    rounds = {r["id"]: r for r in data["rounds"]}
    latest = rounds.get(data["latest_round"])
    if data["latest_round"]:
        visited = latest["villages"] if latest else 0
        round_params = [("visited_round", data["latest_round"])] + ([("township", t)] if t else [])
        add("survey_visited", _("Villages visited in this quarter's grand survey"), visited, "count",
            list_url("villages", round_params))
        add("survey_coverage", _("This quarter's survey coverage"), dash.share(visited, villages), "percent",
            list_url("villages", round_params))
    loan_kinds = dict(LoanKind.choices)
    for kind in LoanKind.values:
        rows = [r for r in data["loans"] if r["kind"] == kind]
        if t is not None and not rows:
            continue  # a kind of loan the township has none of
        params = [("kind", kind)] + ([("township", t)] if t else [])
        add(f"loans_{kind}", _("Loans: %(kind)s") % {"kind": loan_kinds[kind]}, sum(r["n"] for r in rows), "count",
            list_url("loans", params))
        add(f"loans_{kind}_amount", _("Amount: %(kind)s") % {"kind": loan_kinds[kind]},
            dash._num(sum(dash._dec(r["amount"]) for r in rows)), "yuan", list_url("loans", params))
    status_labels = dict(ProjectStatus.choices)
    for status in ProjectStatus.values:
        n = sum(r["n"] for r in data["projects"] if r["kind"] == ProjectKind.FIRST_SECRETARY and r["status"] == status)
        if n:
            add(f"fs_projects_{status}", _("First-secretary projects: %(status)s") % {"status": status_labels[status]}, n,
                "count", list_url("projects", [("kind", ProjectKind.FIRST_SECRETARY.value), ("status", status)]
                                  + ([("township", t)] if t else [])))
    incomes = {r["year"]: r for r in data["incomes"]}
    if data["income_year"]:
        year = data["income_year"]
        params = [("year", year)] + ([("township", t)] if t else [])
        total = incomes[year]["total"]
        add("collective_income", _("Village collective income %(year)s") % {"year": year}, total, "yuan",
            list_url("collective-incomes", params))
        reporting = incomes[year]["villages"]
        per_village = dash._num((Decimal(str(total)) / reporting).quantize(Decimal("0.01"))) if reporting else None
        add("collective_income_per_village", _("Collective income per village %(year)s") % {"year": year},
            per_village, "yuan", list_url("collective-incomes", params))

    # -- periods
    period, pilot, periods = dash.choose_period(data, wanted)
    period_rows = []
    labels = {
        "agri_loan_balance": (_("Agriculture-related loan balance"), "yuan"),
        "loans_granted": (_("Loans granted in the quarter"), "count"),
        "loans_amount": (_("Amount of loans granted in the quarter"), "yuan"),
        "villages_visited": (_("Villages visited in the quarter's grand survey"), "count"),
        "collective_income": (_("Village collective income of the year"), "yuan"),
        "pairing_income": (_("Collective income added by pairings in the year"), "yuan"),
    }
    round_ids = {(r["year"], r["quarter"]): r["id"] for r in data["rounds"]}
    scope = [("township", t)] if t else []

    def period_url(key, p):
        """The list of the rows behind an indicator's value in quarter ``p`` (a year's, for yearly ones)."""
        (y, q), (start, end) = p, dash.quarter_dates(*p)
        if key == "agri_loan_balance":
            return list_url("agri-loan-reports", [("year", y), ("quarter", q)])
        if key in ("loans_granted", "loans_amount"):
            return list_url("loans", [("granted_after", start), ("granted_before", end)] + scope)
        if key == "villages_visited":
            return list_url("villages", [("visited_round", round_ids[p])] + scope) if p in round_ids else None
        return list_url({"collective_income": "collective-incomes", "pairing_income": "pairing-outcomes"}[key],
                        [("year", y)] + scope)

    locked = closed_quarters(county_of(township, county), {period, dash.previous(period), pilot})  # {quarter: revision}
    for row in dash.period_table(data, period, pilot):
        label, unit = labels[row["key"]]
        period_rows.append({
            **row, "label": label, "url": period_url(row["key"], period), "shown": show(row["value"], unit),
            "previous_url": period_url(row["key"], dash.previous(period)) if row["previous"] is not None else None,
            "pilot_url": period_url(row["key"], pilot) if row["pilot"] is not None else None,
            "previous_shown": show(row["previous"], unit), "pilot_shown": show(row["pilot"], unit),
            "previous_change": change(row["value"], row["previous"], unit),
            "pilot_change": change(row["value"], row["pilot"], unit),
        })

    return {
        "township": township,
        "as_of": data["as_of"],
        "income_year": data["income_year"],
        "chains": chains,
        "absent": absent,
        "peers": peer_ranks(data, t),
        "derived": derived,
        "charts": charts(data, t),
        "periods": [(f"{y}Q{q}", _("%(year)s Q%(quarter)s") % {"year": y, "quarter": q}) for y, q in periods],
        "period": f"{period[0]}Q{period[1]}",
        "period_label": _("%(year)s Q%(quarter)s") % {"year": period[0], "quarter": period[1]},
        "previous_label": _("%(year)s Q%(quarter)s") % dict(zip(("year", "quarter"), dash.previous(period))),
        "pilot_label": _("%(year)s Q%(quarter)s") % {"year": pilot[0], "quarter": pilot[1]},
        "period_locked": locked.get(period), "previous_locked": locked.get(dash.previous(period)),
        "pilot_locked": locked.get(pilot),
        "period_rows": period_rows,
        "ranking": ranking(data, t),
        "big": big,
        "refresh": REFRESH_SECONDS if big else None,
        "breadcrumbs": breadcrumbs(township),
        "compare_url": reverse("dashboard:compare") + "?" + urlencode(
            [("period", f"{period[0]}Q{period[1]}")] + ([("township", t)] if t else [])),
        "periods_url": reverse("dashboard:periods") + "?" + urlencode(
            [("period", f"{period[0]}Q{period[1]}")] + ([("township", t)] if t else [])),
    }


def breadcrumbs(township, county=None, user=None):
    """City → county → township, each level that exists and that ``user`` may open (the first crumb
    is the start page when it is the user's own county, or when no county is known)."""
    county = township.county if township is not None else county
    if county is None:
        crumbs = [(_("Wenshang County"), reverse("home"))]
    else:
        crumbs = []
        scope = scope_of(user) if user is not None else None
        if county.city_id and scope is not None and scope.level in ("city", None):
            crumbs.append((str(county.city), reverse("dashboard:city", args=[county.city_id])))
        own = scope is not None and (scope.county_id == county.pk or scope.level is None and not several_counties())
        crumbs.append((str(county), reverse("home") if own or scope is None else reverse("dashboard:county", args=[county.pk])))
    if township is not None:
        crumbs.append((str(township), reverse("dashboard:township", args=[township.pk])))
    return crumbs


PEER_FIGURES = [  # (key, label, unit, higher is better): a township's place among the county's townships
    ("income_per_village", gettext_lazy("Collective income per village"), "yuan", True),
    ("model_share", gettext_lazy("Share of model-tier villages"), "percent", True),
    ("projects_n", gettext_lazy("projects"), "count", True),
    ("reserve_n", gettext_lazy("reserve cadres"), "count", True),
    ("problems_n", gettext_lazy("Open problems"), "count", False),
]


def peer_ranks(data, t):
    """A township's rank among the county's townships for a few key figures (rank 1 is the best; the
    same value, the same rank), with the county's middle value; [] for the county."""
    if t is None or not data.get("peers"):
        return []
    rows = []
    for row in data["peers"]:
        n = row["villages_n"]
        rows.append({**row, "income_per_village": (Decimal(str(row["income"])) / n).quantize(Decimal("1")) if n else None,
                     "model_share": dash.share(row["model_n"], n)})
    own = next((r for r in rows if r["pk"] == t), None)
    if own is None:
        return []
    out = []
    for key, label, unit, higher in PEER_FIGURES:
        mine = own[key]
        values = sorted((r[key] for r in rows if r[key] is not None), reverse=higher)
        rank = 1 + sum(1 for v in values if (v > mine if higher else v < mine)) if mine is not None else None
        middle = values[len(values) // 2] if values else None
        out.append({"key": key, "label": str(label), "shown": show(mine, unit), "rank": rank, "of": len(rows),
                    "middle_shown": show(middle, unit)})
    return out


def ranking(data, t):
    """The ranking table: townships by collective income per village (county), or villages (township)."""
    rows = []
    tier_labels = dict(Tier.choices)
    for row in data["ranking"]:
        if t is None:
            per = (Decimal(str(row["income"])) / row["villages_n"]).quantize(Decimal("1")) if row["villages_n"] else None
            rows.append({**row, "per_village": per, "url": reverse("dashboard:township", args=[row["pk"]]),
                         "income_shown": show(row["income"], "yuan"), "per_shown": show(per, "yuan")})
        else:
            idle = dash.share(row["idle_n"], row["parcels_n"])
            rows.append({**row, "tier_label": tier_labels.get(row["tier"], row["tier"]), "idle_share": idle,
                         "url": reverse("villages:village_profile", args=[row["pk"]]),
                         "parcels_url": list_url("homesteads", [("village", row["pk"])]),
                         "income_shown": show(row["income"], "yuan"), "per_village": row["income"]})
    rows.sort(key=lambda r: -(r["per_village"] or 0))
    for i, row in enumerate(rows, 1):
        row["rank"] = i
    return rows


def charts(data, t=None):
    """The charts, as plain specifications that ``static/dashboard/dashboard.js`` draws with ECharts
    and the template shows as tables: {id, title, categories, series: [{name, data, type, axis, links}]}.
    ``links[i]`` is the list of the records behind the i-th value (a click on the bar opens it)."""
    scope = [("township", t)] if t else []
    out = []
    tier_labels = dict(Tier.choices)
    if t is not None:  # a township: its villages by tier (one bar per township would be a single bar)
        tiers = [tier for tier in Tier.values if data["tiers"].get(tier)]
        out.append({
            "id": "tiers", "title": _("Villages of the township by tier"), "pie": True,
            "categories": [str(tier_labels[tier]) for tier in tiers],
            "series": [{"name": str(_("villages")), "data": [data["tiers"][tier] for tier in tiers],
                        "links": [list_url("villages", [("township", t), ("tier", tier)]) for tier in tiers]}],
        })
    else:
        out.append({
            "id": "tiers", "title": _("Village tiers by township"), "stack": True,
            "categories": [w["name"] for w in data["townships"]],
            "series": [{"name": str(tier_labels[tier]), "data": [w["tiers"].get(tier, 0) for w in data["townships"]],
                        "color": TIER_COLORS[tier],
                        "links": [list_url("villages", [("township", w["id"]), ("tier", tier)]) for w in data["townships"]]}
                       for tier in Tier.values],
        })
    out.append({
        "id": "income", "title": _("Village collective income by year (yuan)"),
        "categories": [str(r["year"]) for r in data["incomes"]],
        "series": [{"name": str(_("collective income (yuan)")), "data": [r["total"] for r in data["incomes"]],
                    "links": [list_url("collective-incomes", [("year", r["year"])] + scope) for r in data["incomes"]]}],
    })
    quarters = sorted({(r["year"], r["quarter"]) for r in data["loans"]})
    kinds = dict(LoanKind.choices)
    amounts = {(r["kind"], r["year"], r["quarter"]): r["amount"] for r in data["loans"]}
    out.append({
        "id": "loans", "title": _("Loans granted by kind and quarter (yuan)"), "stack": True,
        "categories": [f"{y}Q{q}" for y, q in quarters],
        "series": [{"name": str(kinds[k]), "data": [amounts.get((k, y, q), 0) for y, q in quarters],
                    "links": [list_url("loans", [("kind", k), ("granted_after", dash.quarter_dates(y, q)[0]),
                                                 ("granted_before", dash.quarter_dates(y, q)[1])] + scope)
                              for y, q in quarters]}
                   for k in LoanKind.values],
    })
    years = sorted({r["year"] for r in data["pairing"]} | {
        r["year"] for r in data["projects"] if r["kind"] == ProjectKind.PAIRING and r["year"]})
    outcome = {r["year"]: r for r in data["pairing"]}
    started = {}
    for r in data["projects"]:
        if r["kind"] == ProjectKind.PAIRING and r["year"]:
            started[r["year"]] = started.get(r["year"], 0) + r["n"]
    out.append({
        "id": "pairing", "title": _("Village-enterprise pairing outcomes by year"),
        "categories": [str(y) for y in years],
        "series": [
            {"name": str(_("projects started")), "data": [started.get(y, 0) for y in years]},
            {"name": str(_("new jobs")), "data": [outcome[y]["jobs"] if y in outcome else None for y in years],
             "links": [list_url("pairing-outcomes", [("year", y)] + scope) for y in years]},
            {"name": str(_("collective income added (yuan)")),
             "data": [outcome[y]["income"] if y in outcome else None for y in years], "type": "line", "axis": 1},
        ],
    })
    values = data["figures"]
    out.append({
        "id": "pipeline", "title": _("Talent pipeline: reserve cadres"),
        "categories": [str(_("reserve cadres")), str(_("trained")), str(_("appointed"))],
        "series": [{"name": str(_("people")), "data": [values.get("reserve_cadres") or 0, values.get("reserve_trained") or 0,
                                                       values.get("reserve_appointed") or 0]}],
    })
    status_labels = dict(ProjectStatus.choices)
    by_status = {}
    for r in data["projects"]:
        if r["kind"] == ProjectKind.FIRST_SECRETARY:
            by_status[r["status"]] = by_status.get(r["status"], 0) + r["n"]
    statuses = [s for s in ProjectStatus.values if by_status.get(s)]
    out.append({
        "id": "fs_projects", "title": _("First-secretary assistance projects by status"), "pie": True,
        "categories": [str(status_labels[s]) for s in statuses],
        "series": [{"name": str(_("projects")), "data": [by_status[s] for s in statuses],
                    "links": [list_url("projects", [("kind", ProjectKind.FIRST_SECRETARY.value), ("status", s)] + scope)
                              for s in statuses]}],
    })
    for chart in out:
        chart["title"] = str(chart["title"])
        chart["rows"] = [[c, *[s["data"][i] for s in chart["series"]]] for i, c in enumerate(chart["categories"])]
    return out


@login_required
def compare(request):
    """The catalogue's figures at the end of a quarter, the quarter before and the pilot's start (JSON)."""
    township = scope_township(request)
    county = scope_county(request, township)
    t = township.pk if township is not None else None
    c = getattr(county, "pk", None) if t is None else None
    data_key = dash.key(t, c)
    data = dash.get(t, key=data_key, county=getattr(county, "pk", None))
    period, pilot, _periods = dash.choose_period(data, request.GET.get("period", ""))
    before = dash.previous(period)
    with county_links(c):
        rows = comparison_rows(township, data, data_key, period, pilot, county=c)
    return JsonResponse({
        "period": f"{period[0]}Q{period[1]}",
        "labels": {
            "previous": _("vs %(period)s") % {"period": _("%(year)s Q%(quarter)s") % {"year": before[0], "quarter": before[1]}},
            "pilot": _("vs pilot start"),
        },
        "figures": {r["key"]: {k: r.get(k) for k in ("value", "previous", "pilot", "previous_growth", "pilot_growth",
                                                     "previous_change", "pilot_change", "value_locked", "value_revised")}
                    for r in rows if r["compared"]},
        "not_compared": {r["key"]: r["reason"] for r in rows if not r["compared"]},
    }, json_dumps_params={"ensure_ascii": False})


NOT_COMPARED = {
    "undated": gettext_lazy("Not compared by period: its records carry no date"),
    "fixed": gettext_lazy("Not compared by period: the figure of a set year or batch"),
    "growth": gettext_lazy("Itself a growth since the pilot's start"),
}


def county_of(township, county):
    """The county whose quarters a page shows: the township's, the one shown, or a database's only county."""
    county_id = township.county_id if township is not None else county
    if county_id is None:  # a database of one county: its county
        only = list(County.objects.values_list("pk", flat=True)[:2])
        county_id = only[0] if len(only) == 1 else None
    return county_id


def comparison_rows(township, data, data_key, period, pilot, county=None):
    """Every figure of the catalogue at the end of ``period``, of the quarter before and of the pilot's
    first quarter, with the growth and, for each of the three values, the list of the rows it counts
    (``?figure=…&as_of=…``: the records as they stood on that day); or why it is not compared."""
    t = township.pk if township is not None else None
    compared = dash.comparison(t, period, pilot, key=data_key, county=county)
    if t is None:
        agri = dash.agri_comparison(data, period, pilot)
        if agri is not None:
            compared = {**compared, "agri_loan_balance": agri}
    ends = {"value": period, "previous": dash.previous(period), "pilot": pilot}
    county_id = county_of(township, county)
    frozen = frozen_figures(county_id, set(ends.values()), t) if county_id is not None else {}
    rows = []
    for key, fig in figures.catalogue().items():
        if t is not None and key in figures.COUNTY_ONLY:
            continue
        row = {"key": key, "label": fig.label, "chain": fig.chain, "unit": fig.unit}
        entry = compared.get(key)
        if entry is None:
            reason = "growth" if fig.unit == "percent" else "undated" if fig.period == "cumulative" else "fixed"
            rows.append({**row, "compared": False, "reason": str(NOT_COMPARED[reason])})
            continue
        entry = dict(entry)
        for name, p in ends.items():  # a closed quarter: its frozen figure (已锁定), revised or not (修订)
            closed = frozen.get(p)
            if closed is not None and key in closed["values"]:
                entry[name] = closed["values"][key]
                row[f"{name}_locked"] = closed["revision"]
                earlier = closed["first"].get(key)
                row[f"{name}_revised"] = show(earlier, fig.unit) if closed["revision"] > 1 and earlier != entry[name] else None
        entry["previous_growth"] = figures.growth_pct(entry["value"], entry["previous"])
        entry["pilot_growth"] = figures.growth_pct(entry["value"], entry["pilot"])
        row.update(entry, compared=True, previous_change=change(entry["value"], entry["previous"], fig.unit),
                   pilot_change=change(entry["value"], entry["pilot"], fig.unit))
        for name, p in ends.items():
            row[f"{name}_shown"] = show(entry[name], fig.unit)
            if entry[name] is None:
                row[f"{name}_url"] = None
            elif row.get(f"{name}_locked") and key != "agri_loan_balance":
                base = drill_url(key, t)
                snapshot = frozen[p]["snapshot"]
                row[f"{name}_url"] = f"{base}{'&' if '?' in base else '?'}{urlencode({'figure': key, 'frozen': snapshot})}"
            elif key == "agri_loan_balance":
                row[f"{name}_url"] = list_url("agri-loan-reports", [("year", p[0]), ("quarter", p[1])])
            else:
                base = drill_url(key, t)
                day = dash.quarter_dates(*p)[1].isoformat()
                row[f"{name}_url"] = f"{base}{'&' if '?' in base else '?'}{urlencode({'figure': key, 'as_of': day})}"
        rows.append(row)
    return rows


@login_required
def period_comparison(request):
    """Every figure at the end of a quarter against the quarter before and the pilot's start, each
    value linked to the records it counts as they stood then (the page behind the growth shown
    on the dashboard's tiles)."""
    township = scope_township(request)
    county = scope_county(request, township)
    t = township.pk if township is not None else None
    c = getattr(county, "pk", None) if t is None else None
    data_key = dash.key(t, c)
    data = dash.get(t, key=data_key, county=getattr(county, "pk", None))
    period, pilot, every = dash.choose_period(data, request.GET.get("period", ""))
    with county_links(c):
        rows = comparison_rows(township, data, data_key, period, pilot, county=c)
    chains = [{"key": key, "label": str(label), "rows": [r for r in rows if r["chain"] == key]} for key, label in CHAINS]

    def name(p):
        return _("%(year)s Q%(quarter)s") % {"year": p[0], "quarter": p[1]}

    return render(request, "dashboard/periods.html", {
        "township": township, "chains": chains, "as_of": data["as_of"],
        "breadcrumbs": breadcrumbs(township, county, request.user), "county": county,
        "periods": [(f"{y}Q{q}", name((y, q))) for y, q in every], "period": f"{period[0]}Q{period[1]}",
        "period_label": name(period), "previous_label": name(dash.previous(period)), "pilot_label": name(pilot),
    })


def scope_township(request):
    """The township a map or comparison request is about: the one asked for (if the user may read
    it), the user's own for township staff, or None for the county."""
    if request.GET.get("township"):
        wanted = request.GET["township"]
        if not (wanted.isascii() and wanted.isdecimal()):
            raise Http404
        return township_for(request.user, wanted)
    if county_reader(request.user):
        return None
    if not request.user.township_id:
        raise PermissionDenied
    return township_for(request.user, request.user.township_id)


def scope_county(request, township=None):
    """The county a map, comparison or targets request is about: the township's; the one asked for
    (``?county=<id>``, if the user may read it); the user's own; the only one they may read; a city's
    user's first county; None for a deployment's administrator (every record)."""
    if township is not None:
        return township.county
    wanted = request.GET.get("county")
    if wanted:
        if not (wanted.isascii() and wanted.isdecimal()):
            raise Http404
        return county_for(request.user, wanted)
    own = own_county(request.user)
    if own is not None:
        return own
    scope = scope_of(request.user)
    readable = County.objects.restrict(request.user, "view").select_related("city").order_by("code")
    if scope.level == "city":
        return readable.first()
    found = list(readable[:2])
    return found[0] if len(found) == 1 and scope.level is not None else None


# -- the map ---------------------------------------------------------------------------------------
@login_required
def county_map(request):
    township = scope_township(request)
    county = scope_county(request, township)
    params = {"township": township.pk} if township is not None else {"county": county.pk} if county is not None else {}
    data_url = reverse("dashboard:map_data") + (f"?{urlencode(params)}" if params else "")
    crumbs = breadcrumbs(township, county, request.user)
    return render(request, "dashboard/map.html", {"township": township, "data_url": data_url, "breadcrumbs": crumbs})


@login_required
def map_data(request):
    """The map's data (``geo``): the county's townships as aggregates, or one township's villages
    (``?township=<id>``: the county map loads them when zoomed in or clicked)."""
    township = scope_township(request)
    county = scope_county(request, township)
    payload = geo.get(township.pk if township is not None else None, getattr(county, "pk", None))
    payload = {
        **payload,
        "tiers": geo.tier_labels(),
        "urls": {
            "parcels": list_url("homesteads", [("village", "0")]).replace("village=0", "village="),
            "profile": reverse("villages:village_profile", args=[0]).replace("/0/", "/{id}/"),
            "township_data": reverse("dashboard:map_data") + "?township=",
            "township_parcels": list_url("homesteads", [("township", "0")]).replace("township=0", "township="),
            "township_dashboard": reverse("dashboard:township", args=[0]).replace("/0/", "/{id}/"),
        },
        "labels": {
            "parcels": _("homestead parcels"), "area": _("area (m²)"), "idle": _("idle share"),
            "zone": _("joint committee"), "profile": _("Village profile"), "list": _("List of parcels"),
            "tier": _("tier"), "none": _("none"), "villages": _("villages"), "show_villages": _("Show its villages"),
            "dashboard": _("Township dashboard"), "township": _("township (villages)"), "whole": _("Whole map"),
        },
    }
    return JsonResponse(payload, json_dumps_params={"ensure_ascii": False, "separators": (",", ":")})


# -- annual targets --------------------------------------------------------------------------------
STATUS_LABELS = {
    "done": gettext_lazy("Completed"),
    "ahead": gettext_lazy("Ahead of schedule"),
    "behind": gettext_lazy("Behind schedule"),
    "pending": gettext_lazy("Reported at year end"),
    "not_started": gettext_lazy("Year not begun"),
    "none": gettext_lazy("No target set"),
}
STATUS_CLASSES = {"done": "success", "ahead": "primary", "behind": "danger", "pending": "secondary", "not_started": "secondary",
                  "none": "light"}


def target_view_model(data, township, indicator=None):
    """Labels, values as read and links for ``targets.build()``'s data: every indicator's target,
    achievement and progress, with the list of the rows counted behind each achievement and the
    list of the targets behind each target; the ranked units of ``indicator`` (none when None:
    the dashboard's card shows no ranking, and making ~100 links costs ~15 ms)."""
    t = township.pk if township is not None else None
    labels = dict(TargetIndicator.choices)
    year = data["year"]
    out = []
    for entry in data["indicators"]:
        key, unit = entry["key"], entry["unit"]
        ind = targets.INDICATORS[key]
        level = "village" if t is not None else "township"
        row_list = [("year", year), ("indicator", key)]
        unit_level = [("level", level)]
        rows = []
        for r in entry["rows"] if key == indicator else ():
            unit_url = (reverse("villages:village_profile", args=[r["id"]]) if t is not None
                        else reverse("dashboard:targets") + "?" + urlencode({"year": year, "township": r["id"], "indicator": key}))
            rows.append({
                **r, "url": unit_url,
                "target_shown": show(r["target"], unit), "actual_shown": show(r["actual"], unit),
                "actual_url": list_url(ind.plural, ind.query(year, village=r["id"]) if t is not None
                                       else ind.query(year, township=r["id"])),
                "target_url": list_url("targets", row_list + unit_level + [(level, r["id"])])
                if r["target"] is not None else None,
                "status_label": str(STATUS_LABELS[r["status"]]), "status_class": STATUS_CLASSES[r["status"]],
                "bar": min(r["progress"] or 0, 100),
            })
        own = [("level", "township"), ("township", t)] if t is not None else [("level", "county")]
        counts = entry["counts"]
        out.append({
            **entry, "label": str(labels[key]), "rows": rows, "selected": key == indicator,
            "target_shown": show(entry["target"], unit), "actual_shown": show(entry["actual"], unit),
            "actual_url": list_url(ind.plural, ind.query(year, township=t)),
            "target_url": list_url("targets", row_list + own) if entry["target"] is not None else None,
            "status_label": str(STATUS_LABELS[entry["status"]]), "status_class": STATUS_CLASSES[entry["status"]],
            "bar": min(entry["progress"] or 0, 100),
            "page_url": reverse("dashboard:targets") + "?" + urlencode(
                [("year", year)] + ([("township", t)] if t is not None else []) + [("indicator", key)]),
            "ahead_n": counts.get("ahead", 0) + counts.get("done", 0), "behind_n": counts.get("behind", 0),
        })
    return out


def default_indicator(data):
    """The indicator the targets page ranks when none is asked for: the first with records counted
    by the data date (not one reported at year end, whose units would all read 0 until then)."""
    counted = [e for e in data["indicators"] if not (e["yearly"] and data["schedule"] < 100)]
    for entry in counted:
        if entry["actual"]:
            return entry["key"]
    return (counted or data["indicators"])[0]["key"]


@login_required
def target_progress(request):
    """The year's targets of the county and its townships (or of a township and its villages): how
    far each has come against the calendar, and who is ahead or behind."""
    township = scope_township(request)
    county = scope_county(request, township)
    t = township.pk if township is not None else None
    c = getattr(county, "pk", None) if t is None else None
    years = targets.years()
    year = request.GET.get("year", "")
    year = int(year) if year.isdecimal() and year.isascii() and int(year) in years else settings.PORTAL_DATA_AS_OF.year
    indicator = request.GET.get("indicator")
    data = targets.get(year, t, county=c)
    if indicator not in TargetIndicator.values:
        indicator = default_indicator(data)
    with county_links(c):
        indicators = target_view_model(data, township, indicator)
    selected = next(i for i in indicators if i["selected"])
    crumbs = breadcrumbs(township, county, request.user)
    townships = None
    if county_reader(request.user):
        townships = Township.objects.restrict(request.user, "view").order_by("code")
        if county is not None:
            townships = townships.filter(county=county)
        townships = townships.values_list("pk", "name")
    return render(request, "dashboard/targets.html", {
        "township": township, "year": year, "years": years, "indicators": indicators, "selected": selected,
        "schedule": data["schedule"], "as_of": data["as_of"], "breadcrumbs": crumbs, "townships": townships, "county": county,
        "can_set": permission_filter(request.user, REGISTRY["targets"].model, "add") is not False,
    })
