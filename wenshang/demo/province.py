"""The province projection of ``manage.py bench_scale --province``: the figure aggregates
(``wenshang.web.models.MetricAggregate``, kept by ``wenshang.web.aggregates``) filled synthetically as
they would stand for all of Shandong — 151 county-level units, 1,853 townships, 69,000 villages, 14
quarters (2021 Q1 to 2024 Q2) — on an otherwise empty scratch database, and the province dashboard's
statements timed on them (issue 14: each within 50 ms).

The rows are made by PostgreSQL itself (``generate_series``, a fixed ``setseed``): for every kept metric,
per village (per county for a metric of no township) and, for a dated metric, per quarter in which the
village has records (one in ``DENSITY``), per year for one dated by its year; a distinct metric's
members (digests) as many per county as Wenshang has (91 paired enterprises, 146 homestead-credit
households, 1,727 borrowers …), each in one village and quarter; the township and county rows
grouped from them, as the portal groups them. The statements are those of the portal's readers
(``aggregates.values``, ``aggregates.period_values``) for the whole province, and the counties ranked
on every figure.
"""
import datetime as dt
import statistics
import time

from django.db import connection

from wenshang.demo.build import targets
from wenshang.web import aggregates, figures
from wenshang.web.models import MetricAggregate

COUNTIES, TOWNSHIPS, VILLAGES = 151, 1853, 69_000  # Shandong (../shared/data/shandong_townships.csv; villages ~69,000)
QUARTERS = [(y, q) for y in range(2021, 2025) for q in range(1, 5) if (y, q) <= (2024, 2)]  # 14
YEARS = [2021, 2022, 2023, 2024]
DENSITY = 0.25  # a village has records of a dated metric in one quarter in four


def _metrics():
    """[(key, kind, dated: "q" | "y" | "", of no township, members a county)] of the kept metrics."""
    out = []
    article = targets()
    for key in aggregates.plan().by_key:
        m = figures.metric(key)
        dated = "" if m.date is None else ("y" if m.date_is_year else "q")
        members = int(article.get(key, 100)) if m.kind == "distinct" else 0
        out.append((key, m.kind, dated, bool(m.county_only), members))
    return out


def fill(density=DENSITY):
    """Fill the aggregates (the table emptied first); {counties, townships, villages, quarters, rows, fill_s}."""
    started = time.perf_counter()
    table = connection.ops.quote_name(MetricAggregate._meta.db_table)
    metrics = _metrics()
    with connection.cursor() as cur:
        cur.execute(f"TRUNCATE {table}")
        cur.execute(f"ALTER TABLE {table} SET UNLOGGED")  # a scratch database, dropped after
        cur.execute("SET maintenance_work_mem = '512MB'")
        cur.execute("SET work_mem = '256MB'")
        cur.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexname <> %s",
                    [MetricAggregate._meta.db_table, f"{MetricAggregate._meta.db_table}_pkey"])
        indexes = [row[0] for row in cur.fetchall()]
        for definition in indexes:  # faster to fill without them, and to build them after
            cur.execute(f"DROP INDEX IF EXISTS {definition.split(' INDEX ')[1].split(' ON ')[0]}")
        cur.execute("SELECT setseed(0.20240630)")
        cur.execute("CREATE TEMPORARY TABLE province_metric (key text, kind text, dated text, countywide boolean, members int)")
        cur.executemany("INSERT INTO province_metric VALUES (%s, %s, %s, %s, %s)", metrics)
        cur.execute("CREATE TEMPORARY TABLE province_when (year smallint, quarter smallint, dated text)")
        cur.executemany("INSERT INTO province_when VALUES (%s, %s, 'q')", QUARTERS)
        cur.executemany("INSERT INTO province_when VALUES (%s, 0, 'y')", [(y,) for y in YEARS])
        cur.execute("INSERT INTO province_when VALUES (NULL, NULL, '')")
        township = f"((v - 1) * {TOWNSHIPS} / {VILLAGES} + 1)"
        county = f"(({township} - 1) * {COUNTIES} / {TOWNSHIPS} + 1)"
        value = ("CASE WHEN m.kind = 'sum' THEN round((random() * 500000)::numeric, 2) "
                 "WHEN m.kind = 'ratio' THEN round((random() * 20)::numeric) ELSE 1 + floor(random() * 30) END")
        den = "CASE WHEN m.kind = 'ratio' THEN 22 ELSE NULL END"
        cur.execute(f"""
            INSERT INTO {table} (level, metric, county_id, township_id, village_id, year, quarter, member, value, den)
            SELECT 'v', m.key, {county}, {township}, v, w.year, w.quarter, '', {value}, {den}
            FROM generate_series(1, {VILLAGES}) v
            CROSS JOIN province_metric m JOIN province_when w ON w.dated = m.dated
            WHERE NOT m.countywide AND m.kind <> 'distinct'
              AND (m.dated <> 'q' OR abs(hashtext(m.key || ':' || v || ':' || w.year || ':' || w.quarter)) % 1000 < {int(density * 1000)})""")
        # a distinct metric's members: each in one village of its county and one quarter (or none)
        cur.execute(f"""
            INSERT INTO {table} (level, metric, county_id, township_id, village_id, year, quarter, member, value, den)
            SELECT 'v', key, {county}, {township}, v, year, quarter, md5(key || ':' || {county} || ':' || n), 1, NULL
            FROM (
                SELECT m.key, n, m.dated, (c - 1) * {VILLAGES} / {COUNTIES} + 1 + floor(random() * {VILLAGES // COUNTIES})::int AS v
                FROM province_metric m CROSS JOIN generate_series(1, {COUNTIES}) c CROSS JOIN LATERAL generate_series(1, m.members) n
                WHERE m.kind = 'distinct'
            ) d
            JOIN LATERAL (SELECT year, quarter FROM province_when w WHERE w.dated = d.dated ORDER BY random() + d.n * 0 LIMIT 1) w ON true""")
        cur.execute(f"""
            INSERT INTO {table} (level, metric, county_id, township_id, village_id, year, quarter, member, value, den)
            SELECT 'v', m.key, c, NULL, NULL, w.year, w.quarter, '', 1 + floor(random() * 12), NULL
            FROM generate_series(1, {COUNTIES}) c CROSS JOIN province_metric m JOIN province_when w ON w.dated = m.dated
            WHERE m.countywide""")
        cur.execute(f"""
            INSERT INTO {table} (level, metric, county_id, township_id, village_id, year, quarter, member, value, den)
            SELECT 't', metric, county_id, township_id, NULL, year, quarter, member, sum(value), sum(den)
            FROM {table} WHERE level = 'v' AND township_id IS NOT NULL
            GROUP BY metric, county_id, township_id, year, quarter, member""")
        cur.execute(f"""
            INSERT INTO {table} (level, metric, county_id, township_id, village_id, year, quarter, member, value, den)
            SELECT 'c', metric, county_id, NULL, NULL, year, quarter, member, sum(value), sum(den)
            FROM {table} WHERE level = 't' OR (level = 'v' AND township_id IS NULL)
            GROUP BY metric, county_id, year, quarter, member""")
        for sql, params in aggregates.every_county_sql(table, [m[0] for m in metrics]):  # the ``p`` rows
            cur.execute(sql, params)
        for definition in indexes:
            cur.execute(definition)
        cur.execute(f"ANALYZE {table}")
        cur.execute(f"SELECT level, count(*) FROM {table} GROUP BY level")
        by_level = dict(cur.fetchall())
    return {"counties": COUNTIES, "townships": TOWNSHIPS, "villages": VILLAGES, "quarters": len(QUARTERS),
            "rows": sum(by_level.values()), "rows_by_level": by_level, "fill_s": time.perf_counter() - started}


def statements(repeat=20):
    """[{label, p50_ms, p95_ms}] of the province dashboard's statements, each run ``repeat`` times."""
    keys = [k for k in aggregates.plan().by_key if aggregates.readable(figures.metric(k))]
    previous, first = dt.date(2024, 3, 31), dt.date(2021, 3, 31)
    before = [k for k in keys if aggregates.readable(figures.metric(k), as_of=previous)]
    dated = [k for k in keys if figures.metric(k).date is not None and not figures.metric(k).date_is_year]
    periods = [(dt.date(y, 3 * q - 2, 1), (dt.date(y + q // 4, 3 * q % 12 + 1, 1) - dt.timedelta(days=1))) for y, q in QUARTERS]
    loans = figures.metric("loans_amount") if "loans_amount" in keys else figures.metric(dated[0])

    def ranking():
        values = aggregates.per_county(keys, list(range(1, COUNTIES + 1)))
        return {key: sorted(by_county, key=lambda c: by_county[c] or 0, reverse=True) for key, by_county in values.items()}

    cases = [
        (f"every figure of the province ({len(keys)} metrics, one statement)", lambda: aggregates.values(keys)),
        (f"the same as of the quarter before ({len(before)} metrics)", lambda: aggregates.values(before, as_of=previous)),
        ("the same as of the pilot's first quarter", lambda: aggregates.values(before, as_of=first)),
        (f"the {COUNTIES} counties ranked on every figure (their totals, one statement)", ranking),
        (f"one figure ({loans.key}) by quarter, {len(periods)} quarters", lambda: aggregates.period_values(loans, periods)),
    ]
    out = []
    for label, run in cases:
        run()  # the connection and the plan warm
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            run()
            times.append((time.perf_counter() - started) * 1000)
        out.append({"label": label, "p50_ms": statistics.median(times), "p95_ms": sorted(times)[max(0, int(len(times) * 0.95) - 1)]})
    return out
