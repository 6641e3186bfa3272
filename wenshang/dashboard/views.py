"""The dashboards: the county overview (the portal's start page), a township's dashboard, the
county map and its data.

Every figure shown links to the list of the records behind it (``figures.drills()``): a count
links to exactly the rows counted, a sum to the rows summed. The numbers come from
``wenshang.dashboard.data`` (cached); only labels and links are made here, per request.

Scope: county users (administrators, officials, department editors) see the county and any
township; township staff see their own township's dashboard (at ``/`` too) and nothing wider.
"""
import re
from decimal import Decimal
from functools import cache as memoize
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import get_resolver, reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from wenshang import figures
from wenshang.portal import REGISTRY
from wenshang.scope import permission_filter

from . import data as dash
from . import geo

CHAINS = [
    ("organization", gettext_lazy("Organization chain")),
    ("industry", gettext_lazy("Industry chain")),
    ("talent", gettext_lazy("Talent chain")),
]
REFRESH_SECONDS = 300  # the big screen reloads itself
TIER_COLORS = {"foundation": "#c0392b", "excellence": "#f39c12", "model": "#1e8449"}  # as on the map


# -- formatting ------------------------------------------------------------------------------------
def _plain(value, places=2):
    d = Decimal(str(value))
    if d == d.to_integral_value():
        return intcomma(int(d))
    return intcomma(f"{d:.{places}f}")


def show(value, unit):
    """A figure as people read it: counts with separators, money in 万元/亿元, area in 亩, percentages."""
    if value is None:
        return "—"
    if unit == "yuan":
        d = Decimal(str(value))
        if abs(d) >= 100_000_000:
            return _("%(value)s × 100 million yuan") % {"value": _plain((d / 100_000_000).quantize(Decimal("0.01")))}
        if abs(d) >= 10_000:
            return _("%(value)s × 10,000 yuan") % {"value": _plain((d / 10_000).quantize(Decimal("0.01")))}
        return _("%(value)s yuan") % {"value": _plain(d)}
    if unit == "mu":
        return _("%(value)s mu") % {"value": _plain(value)}
    if unit == "percent":
        return f"{_plain(value)}%"
    return _plain(value)


@memoize
def list_path(plural):
    if plural not in REGISTRY:
        get_resolver().url_patterns  # noqa: B018  (importing the URLconf registers every app's ModelViews)
    return reverse(REGISTRY[plural].url_name("list"))


def list_url(plural, params=()):
    url = list_path(plural)
    return f"{url}?{urlencode(list(params), doseq=True)}" if params else url


def drill_url(key, township=None):
    drill = figures.drills()[key]
    return list_url(drill.plural, drill.query(township))


# -- access ----------------------------------------------------------------------------------------
def county_reader(user):
    """Whether ``user`` may read the whole county (every township's records)."""
    from villages.models import Village

    return permission_filter(user, Village, "view") is True


def township_for(user, pk):
    from villages.models import Township

    return get_object_or_404(Township.objects.restrict(user, "view").select_related("county"), pk=pk)


# -- pages -----------------------------------------------------------------------------------------
@login_required
def home(request):
    """The start page: the county dashboard, or a township's for its staff."""
    user = request.user
    if county_reader(user):
        return dashboard(request, None)
    if user.township_id:
        return dashboard(request, township_for(user, user.township_id))
    raise PermissionDenied


@login_required
def township(request, pk):
    return dashboard(request, township_for(request.user, pk))


def dashboard(request, township):
    """A dashboard page. Its content (figures, links, charts, tables) is rendered once per scope,
    period, language and screen, and cached with the data it was made from, so a warm page costs
    the session, the user and the change log's high-water mark (3 queries)."""
    t = township.pk if township is not None else None
    big = request.GET.get("screen") == "big"
    wanted = request.GET.get("period", "")
    wanted = wanted if re.fullmatch(r"\d{4}Q[1-4]", wanted) else ""
    data_key = dash.key(t)
    page_key = f"{data_key}:page:{get_language()}:{wanted}:{int(big)}"
    page = cache.get(page_key)
    if page is None:
        context = view_model(township, dash.get(t, key=data_key), wanted, big)
        page = {"context": context, "html": render_to_string("dashboard/_content.html", context)}
        cache.set(page_key, page, dash.CACHE_SECONDS)
    return render(request, "dashboard/dashboard.html", {**page["context"], "content": mark_safe(page["html"])})


def view_model(township, data, wanted, big):
    """Everything the dashboard's content shows: labels, values as read, links."""
    from finance.choices import LoanKind
    from villages.choices import ProjectKind, ProjectStatus, Tier

    t = township.pk if township is not None else None
    values = data["figures"]
    info = figures.catalogue()

    # -- the catalogue's figures, by chain
    chains = []
    for chain, label in CHAINS:
        tiles = []
        for key, fig in info.items():
            if fig.chain != chain or values.get(key) is None:
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
    periods = dash.periods(data)
    period = periods[-1] if periods else dash.quarter_of(data["as_of"])
    for p in periods:
        if wanted == f"{p[0]}Q{p[1]}":
            period = p
    pilot = periods[0] if periods else period
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
    for row in dash.period_table(data, period, pilot):
        label, unit = labels[row["key"]]
        y, q = period
        start, end = dash.quarter_dates(y, q)
        url = {
            "agri_loan_balance": list_url("agri-loan-reports", [("year", y), ("quarter", q)]),
            "loans_granted": list_url("loans", [("granted_after", start), ("granted_before", end)] + scope),
            "loans_amount": list_url("loans", [("granted_after", start), ("granted_before", end)] + scope),
            "villages_visited": list_url("villages", [("visited_round", round_ids[period])] + scope)
            if period in round_ids else None,
            "collective_income": list_url("collective-incomes", [("year", y)] + scope),
            "pairing_income": list_url("pairing-outcomes", [("year", y)] + scope),
        }[row["key"]]
        period_rows.append({**row, "label": label, "url": url, "shown": show(row["value"], unit),
                            "previous_shown": show(row["previous"], unit), "pilot_shown": show(row["pilot"], unit)})

    return {
        "township": township,
        "as_of": data["as_of"],
        "income_year": data["income_year"],
        "chains": chains,
        "derived": derived,
        "charts": charts(data, t),
        "periods": [(f"{y}Q{q}", _("%(year)s Q%(quarter)s") % {"year": y, "quarter": q}) for y, q in periods],
        "period": f"{period[0]}Q{period[1]}",
        "period_label": _("%(year)s Q%(quarter)s") % {"year": period[0], "quarter": period[1]},
        "previous_label": _("%(year)s Q%(quarter)s") % dict(zip(("year", "quarter"), dash.previous(period))),
        "pilot_label": _("%(year)s Q%(quarter)s") % {"year": pilot[0], "quarter": pilot[1]},
        "period_rows": period_rows,
        "ranking": ranking(data, t),
        "big": big,
        "refresh": REFRESH_SECONDS if big else None,
        "breadcrumbs": breadcrumbs(township),
        "compare_url": reverse("dashboard:compare") + "?" + urlencode(
            [("period", f"{period[0]}Q{period[1]}")] + ([("township", t)] if t else [])),
    }


def breadcrumbs(township):
    crumbs = [(_("Wenshang County"), reverse("home"))]
    if township is not None:
        crumbs.append((str(township), reverse("dashboard:township", args=[township.pk])))
    return crumbs


def ranking(data, t):
    """The ranking table: townships by collective income per village (county), or villages (township)."""
    from villages.choices import Tier

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
    from finance.choices import LoanKind

    scope = [("township", t)] if t else []
    from villages.choices import ProjectKind, ProjectStatus, Tier

    out = []
    tier_labels = dict(Tier.choices)
    out.append({
        "id": "tiers", "title": _("Village tiers by township"), "stack": True,
        "categories": [t["name"] for t in data["townships"]],
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
    t = township.pk if township is not None else None
    data_key = dash.key(t)
    data = dash.get(t, key=data_key)
    periods = dash.periods(data)
    period = periods[-1] if periods else dash.quarter_of(data["as_of"])
    for p in periods:
        if request.GET.get("period") == f"{p[0]}Q{p[1]}":
            period = p
    pilot = periods[0] if periods else period
    before = dash.previous(period)
    return JsonResponse({
        "period": f"{period[0]}Q{period[1]}",
        "labels": {
            "previous": _("vs %(period)s") % {"period": _("%(year)s Q%(quarter)s") % {"year": before[0], "quarter": before[1]}},
            "pilot": _("vs pilot start"),
        },
        "figures": dash.comparison(t, period, pilot, key=data_key),
    }, json_dumps_params={"ensure_ascii": False})


def scope_township(request):
    """The township a map or comparison request is about: the one asked for (if the user may read
    it), the user's own for township staff, or None for the county."""
    if request.GET.get("township"):
        return township_for(request.user, request.GET["township"])
    if county_reader(request.user):
        return None
    if not request.user.township_id:
        raise PermissionDenied
    return township_for(request.user, request.user.township_id)


# -- the map ---------------------------------------------------------------------------------------
@login_required
def county_map(request):
    township = scope_township(request)
    params = {"township": township.pk} if township is not None else {}
    data_url = reverse("dashboard:map_data") + (f"?{urlencode(params)}" if params else "")
    crumbs = breadcrumbs(township)
    return render(request, "dashboard/map.html", {"township": township, "data_url": data_url, "breadcrumbs": crumbs})


@login_required
def map_data(request):
    township = scope_township(request)
    payload = geo.get(township.pk if township is not None else None)
    payload = {
        **payload,
        "tiers": geo.tier_labels(),
        "urls": {
            "parcels": list_url("homesteads", [("village", "0")]).replace("village=0", "village="),
            "profile": reverse("villages:village_profile", args=[0]).replace("/0/", "/{id}/"),
        },
        "labels": {
            "parcels": _("homestead parcels"), "area": _("area (m²)"), "idle": _("idle share"),
            "zone": _("joint committee"), "profile": _("Village profile"), "list": _("List of parcels"),
            "tier": _("tier"), "none": _("none"),
        },
    }
    return JsonResponse(payload, json_dumps_params={"ensure_ascii": False, "separators": (",", ":")})
