"""``python manage.py bench_api``: how fast the REST API answers on the demo county.

It builds a scratch PostgreSQL database (``BENCH_API_DATABASE_URL``, default a
``wenshang_bench_api`` database on 127.0.0.1) with the demo county, makes a read-only county
token, starts gunicorn with the production settings (2 workers, DEBUG off, throttling out of the
way) and times plain HTTP requests from 1 and from 4 concurrent clients: pages of 100 parcels
(the first page and pages deep in the table, reached through the ``next`` links), one village's
parcels and the figures. It also counts the SQL queries of a list page for 10, 100 and 1000
records per page. It prints a table (``--json``: JSON too); nothing in it is a pass/fail test.

The clients run on the same machine as gunicorn and PostgreSQL: on a small machine the numbers at
4 clients include the clients' own share of the CPUs.
"""
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import environ
import psycopg2
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.test import APIClient

from finance.models import Homestead
from villages.models import Village
from wenshang.api.models import ApiToken
from wenshang.api.tokens import create_token
from wenshang.management.commands.bench import Command as Bench

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/wenshang_bench_api"
LIST = "/api/v1/finance/homesteads/"
FIGURES = "/api/v1/figures/"
PAGE_SIZES = (10, 100, 1000)
TARGETS = {1: 40.0, 4: 100.0}  # p95 in ms of a page of 100 parcels, by clients (the issue)
MAX_QUERIES = 4


def p95(times):
    return sorted(times)[max(0, int(len(times) * 0.95) - 1)]  # as bench.py


def with_page_size(url, size):
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "page_size"] + [("page_size", str(size))]
    return urlunsplit(("", "", parts.path, urlencode(query), ""))


class Command(BaseCommand):
    help = "Benchmark the REST API under gunicorn on the demo county in PostgreSQL."

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=300, help="timed requests per scenario and client count")
        parser.add_argument("--warmup", type=int, default=40, help="untimed requests before each timed run")
        parser.add_argument("--clients", type=int, default=4, help="concurrent clients of the second run")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
        parser.add_argument("--json", action="store_true", help="print the results as JSON after the table")
        parser.add_argument("--keep", action="store_true", help="keep the scratch database (and reuse it next time)")
        parser.add_argument("--reuse", action="store_true", help="use the scratch database as it is when it holds the demo county")
        parser.add_argument("--gunicorn-args", default="", help="extra gunicorn arguments, e.g. \"--threads 2\"")
        parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="extra environment of gunicorn")
        parser.add_argument("--prepare", action="store_true", help="(internal) make the token, print JSON")
        parser.add_argument("--count-queries", action="store_true", help="(internal) count queries in-process, print JSON")

    # -- the parent process ----------------------------------------------------------------------
    def handle(self, *args, **options):
        if options["prepare"]:
            return self.prepare()
        if options["count_queries"]:
            return self.count_queries(os.environ["BENCH_API_KEY"])
        self.bench = Bench(stdout=self.stdout, stderr=self.stderr)
        url = os.environ.get("BENCH_API_DATABASE_URL", DEFAULT_PG)
        started = time.perf_counter()
        if not (options["reuse"] and self.has_demo(url)):
            if not self.bench.reset_postgres(url):
                raise CommandError(f"PostgreSQL at {url} does not answer.")
            self.stdout.write("PostgreSQL: migrating a scratch database …")
            self.bench.manage(url, "migrate", "--noinput", "-v0")
            self.stdout.write("PostgreSQL: load_demo …")
            self.bench.manage(url, "load_demo")
        info = json.loads(self.child(url, "--prepare").strip().splitlines()[-1])
        self.stdout.write(f"Demo county ready ({info['parcels']:,} parcels) in {time.perf_counter() - started:.0f} s; "
                          f"a read-only county token made.")
        server = None
        try:
            self.stdout.write("Counting queries in-process …")
            counts = json.loads(self.child(url, "--count-queries", BENCH_API_KEY=info["key"]).strip().splitlines()[-1])
            server = self.start_gunicorn(url, options)
            results = self.measure(server, info, options)
        finally:
            if server is not None:
                self.stop_gunicorn(server)
            if not options["keep"]:
                self.drop_postgres(url)
        self.report(results, counts, info, options)

    def env(self, url, **extra):
        env = self.bench.env(url)
        env["DEBUG"] = "False"
        env.update(extra)
        return env

    def child(self, url, *args, **extra):
        """This command in a process of its own on the scratch database (as bench.py's --figures-only)."""
        done = subprocess.run(
            [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "bench_api", *args],
            env=self.env(url, **extra), capture_output=True, text=True,
        )
        if done.returncode:
            raise CommandError(f"bench_api {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def has_demo(self, url):
        cfg = environ.Env.db_url_config(url)
        try:
            conn = psycopg2.connect(dbname=cfg["NAME"], user=cfg["USER"], host=cfg["HOST"], port=cfg["PORT"] or 5432,
                                    password=cfg["PASSWORD"] or None, connect_timeout=3)
        except Exception:  # noqa: BLE001 - no such database
            return False
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT count(*) FROM finance_homestead")
                return cur.fetchone()[0] > 0
        except Exception:  # noqa: BLE001 - not migrated
            return False
        finally:
            conn.close()

    def drop_postgres(self, url):
        cfg = environ.Env.db_url_config(url)
        conn = psycopg2.connect(dbname="postgres", user=cfg["USER"], host=cfg["HOST"], port=cfg["PORT"] or 5432,
                                password=cfg["PASSWORD"] or None, connect_timeout=3)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{cfg["NAME"]}" WITH (FORCE)')
        conn.close()
        self.stdout.write(f"Scratch database {cfg['NAME']} dropped.")

    # -- gunicorn --------------------------------------------------------------------------------
    def start_gunicorn(self, url, options):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = self.env(
            url,
            DJANGO_SETTINGS_MODULE="wenshang.settings.production",
            SECRET_KEY="bench-api-" + os.urandom(16).hex(),
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SECURE_SSL_REDIRECT="False",  # plain HTTP on the loopback, no TLS proxy in front
            API_RATE="1000000/min",
        )
        for pair in options["env"]:
            name, _, value = pair.partition("=")
            env[name] = value
        log = tempfile.NamedTemporaryFile("w+", prefix="bench_api_gunicorn_", suffix=".log", delete=False)
        gunicorn = Path(sys.executable).with_name("gunicorn")
        cmd = [str(gunicorn), "wenshang.wsgi", "-w", str(options["workers"]), "-b", f"127.0.0.1:{port}",
               *options["gunicorn_args"].split()]
        self.stdout.write(f"Starting {' '.join(cmd[1:])} (log {log.name}) …")
        proc = subprocess.Popen(cmd, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
        server = {"proc": proc, "port": port, "log": log.name, "cmd": " ".join(cmd[1:])}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise CommandError(f"gunicorn stopped (exit {proc.returncode}):\n{Path(log.name).read_text()[-3000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/api/v1/")
                conn.getresponse().read()
                conn.close()
                return server
            except OSError:
                time.sleep(0.2)
        self.stop_gunicorn(server)
        raise CommandError("gunicorn did not answer within 60 s.")

    def stop_gunicorn(self, server):
        proc = server["proc"]
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log = Path(server["log"])
        errors = [line for line in log.read_text(errors="replace").splitlines() if "Traceback" in line or "ERROR" in line]
        if errors:
            self.stdout.write(f"gunicorn logged {len(errors)} error lines; its log is kept at {log}.")
        else:
            log.unlink(missing_ok=True)

    @staticmethod
    def server_cpu(pid):
        """CPU seconds used so far by gunicorn's workers (the children of ``pid``), from /proc."""
        total = 0
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "
            if int(fields[1]) == pid:  # ppid
                total += int(fields[11]) + int(fields[12])  # utime + stime
        return total / os.sysconf("SC_CLK_TCK")

    # -- HTTP ------------------------------------------------------------------------------------
    def get(self, port, path, headers, parse=False):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
        finally:
            conn.close()
        if response.status != 200:
            raise CommandError(f"GET {path} answered {response.status}: {body[:500]!r}")
        return json.loads(body) if parse else len(body)

    def walk(self, port, headers, path, limit):
        """The path of every page reached through the ``next`` links, the first included (at most ``limit``)."""
        pages, url = [path], path
        while url and len(pages) < limit:
            data = self.get(port, url, headers, parse=True)
            url = data.get("next")
            if url:
                parts = urlsplit(url)
                url = urlunsplit(("", "", parts.path, parts.query, ""))
                pages.append(url)
        return pages

    def run(self, server, headers, paths, total, clients, warmup):
        """``total`` requests over ``clients`` threads, each on paths drawn from ``paths`` in turn."""
        port = server["port"]

        def worker(k, n, out):
            local = []
            for i in range(n):
                path = paths[(k * 7919 + i) % len(paths)]
                started = time.perf_counter()
                size = self.get(port, path, headers)
                local.append(((time.perf_counter() - started) * 1000, size))
            out.extend(local)

        def go(n):
            out, threads = [], []
            share = [n // clients + (1 if k < n % clients else 0) for k in range(clients)]
            for k in range(clients):
                threads.append(threading.Thread(target=worker, args=(k, share[k], out)))
            started = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            return out, time.perf_counter() - started

        go(warmup)
        cpu = self.server_cpu(server["proc"].pid)
        out, wall = go(total)
        cpu = self.server_cpu(server["proc"].pid) - cpu
        if len(out) != total:
            raise CommandError(f"{total - len(out)} requests failed; see gunicorn's log.")
        times = [t for t, _ in out]
        return {
            "requests": total,
            "p50_ms": statistics.median(times),
            "p95_ms": p95(times),
            "max_ms": max(times),
            "rps": total / wall,
            "cpu_ms": cpu * 1000 / total,  # gunicorn's CPU per request (PostgreSQL's not included)
            "bytes": int(statistics.mean(s for _, s in out)),
        }

    def measure(self, server, info, options):
        port = server["port"]
        headers = {"Authorization": f"Bearer {info['key']}", "Accept": "application/json", "Host": "127.0.0.1"}
        # Pages deep in the table: walk the whole table through the next links, 1000 a page, and
        # ask for 100 from each position reached (a cursor is a position; the page size is free).
        self.stdout.write("Walking the parcels through the next links …")
        started = time.perf_counter()
        deep = self.walk(port, headers, f"{LIST}?page_size=1000", limit=10_000)
        deep = [with_page_size(p, 100) for p in deep[1:]]
        first = f"{LIST}?page_size=100"
        rng = random.Random(2024)
        sample = rng.sample(deep, min(len(deep), 150))
        mixed = [first if i % 5 == 0 else sample[i % len(sample)] for i in range(len(sample))]  # 1 in 5: the first page
        village = self.walk(port, headers, f"{LIST}?village={info['village_id']}&page_size=100", limit=50)
        self.stdout.write(f"{len(deep) + 1} cursors ({time.perf_counter() - started:.1f} s); "
                          f"{info['village_name']}: {len(village)} pages of 100.")
        scenarios = [
            ("list", "parcels, 100 a page (1/5 first page, 4/5 deep pages)", mixed),
            ("first", "parcels, 100 a page, first page only", [first]),
            ("village", f"one village's parcels ({info['village_name']}), 100 a page", village),
            ("figures", "figures of the county", [FIGURES]),
        ]
        results = []
        load_before = os.getloadavg()[0]
        for key, label, paths in scenarios:
            for clients in sorted({1, options["clients"]}):
                n = options["requests"] if key != "figures" else max(20, options["requests"] // 5)
                self.stdout.write(f"  {key}: {n} requests, {clients} client(s) …")
                r = self.run(server, headers, paths, n, clients, options["warmup"] if key != "figures" else 5)
                results.append({"scenario": key, "label": label, "clients": clients, **r})
        return {"server": server["cmd"], "workers": options["workers"], "cpus": os.cpu_count(), "env": options["env"],
                "load": [round(load_before, 2), round(os.getloadavg()[0], 2)], "http": results}

    def report(self, results, counts, info, options):
        self.stdout.write("")
        self.stdout.write(f"gunicorn: {results['server']} — production settings, DEBUG off; {results['cpus']} CPUs "
                          f"shared by gunicorn, PostgreSQL and the clients; load average {results['load'][0]} before, "
                          f"{results['load'][1]} after" + (f"; gunicorn env {' '.join(results['env'])}" if results["env"] else ""))
        self.stdout.write(f"{'scenario':<9} {'clients':>7} {'requests':>8} {'p50':>9} {'p95':>9} {'max':>9} {'req/s':>7} {'CPU/req':>9} {'bytes':>8}  target")
        for r in results["http"]:
            target = ""
            if r["scenario"] in ("list", "first") and r["clients"] in TARGETS:
                goal = TARGETS[r["clients"]]
                target = f"p95 < {goal:.0f} ms: {'met' if r['p95_ms'] < goal else 'NOT met'}"
            self.stdout.write(
                f"{r['scenario']:<9} {r['clients']:>7} {r['requests']:>8} {r['p50_ms']:>7.1f}ms {r['p95_ms']:>7.1f}ms "
                f"{r['max_ms']:>7.1f}ms {r['rps']:>7.1f} {r['cpu_ms']:>7.1f}ms {r['bytes']:>8,}  {target}"
            )
        self.stdout.write("CPU/req: CPU time of gunicorn's workers per request (PostgreSQL's not included); "
                          f"{results['workers']} workers on idle CPUs can serve about {results['workers']} × 1000 / CPU/req requests a second.")
        self.stdout.write("")
        self.stdout.write("SQL queries per request (in-process, Django's test client on the same database):")
        self.stdout.write(f"{'page size':>9} {'first page':>11} {'deep page':>10} {'one village':>12}   in-process p50 (SQL share)")
        for size in PAGE_SIZES:
            c = counts["pages"][str(size)]
            self.stdout.write(
                f"{size:>9} {c['first']:>11} {c['deep']:>10} {c['village']:>12}   "
                f"{c['p50_ms']:>6.1f}ms ({c['sql_ms']:.1f} ms SQL)"
            )
        self.stdout.write(f"figures: {counts['figures']} queries")
        self.stdout.write("worst case — a token that sees personal data, one village, in the minute its last use is written: "
                          + ", ".join(f"{size} a page: {counts['worst'][str(size)]['count']}"
                                      f" (+{counts['worst'][str(size)]['after_answer']} after the answer)" for size in PAGE_SIZES))
        for q in counts["worst"]["100"]["queries"]:
            self.stdout.write(f"    {q}")
        worst = max(max(c["first"], c["deep"], c["village"]) for c in counts["pages"].values())
        worst = max(worst, *(w["count"] for w in counts["worst"].values()))
        self.stdout.write(f"Targets: a page of 100 parcels p95 under 40 ms for 1 client and under 100 ms at 4; "
                          f"at most {MAX_QUERIES} queries a list page whatever its size "
                          f"({'met' if worst <= MAX_QUERIES else 'NOT met'}: at most {worst}).")
        self.stdout.write("The queries of a deep page of 100:")
        for q in counts["queries_100"]:
            self.stdout.write(f"  {q['ms']:>6.2f} ms  {q['sql'][:220]}")
        if options["json"]:
            self.stdout.write(json.dumps({**results, "queries": counts, "parcels": info["parcels"]}, ensure_ascii=False))

    # -- internal: in the scratch database's own process ----------------------------------------
    def prepare(self):
        """Make the benchmark's token; print the key, a village with many parcels and the count."""
        _token, key = create_token(name="bench", township=None, read_only=True)
        village = Village.objects.filter(name="东石楼村").first() or \
            Village.objects.annotate(n=Count("homesteads")).order_by("-n", "pk").first()
        self.stdout.write(json.dumps({"key": key, "village_id": village.pk, "village_name": village.name,
                                      "parcels": Homestead.objects.count()}, ensure_ascii=False))

    def count_queries(self, key):
        """Queries and in-process time of list pages of 10, 100 and 1000 parcels."""
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        village = Village.objects.filter(name="东石楼村").first() or Village.objects.order_by("pk").first()
        middle = Homestead.objects.order_by("id").values_list("id", flat=True)[Homestead.objects.count() // 2]

        def queries(path, client=client):
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(path, HTTP_ACCEPT="application/json")
            assert response.status_code == 200, (path, response.status_code, response.content[:300])
            return ctx.captured_queries, response

        queries(f"{LIST}?page_size=10")  # warm up: imports, the token's last use
        out = {"pages": {}}
        for size in PAGE_SIZES:
            first, response = queries(f"{LIST}?page_size={size}")
            deep_path = self.deep_path(size, middle)
            deep, _ = queries(deep_path)
            one, _ = queries(f"{LIST}?village={village.pk}&page_size={size}")
            times, sql = [], []
            for _ in range(15):
                with CaptureQueriesContext(connection) as ctx:
                    started = time.perf_counter()
                    client.get(deep_path, HTTP_ACCEPT="application/json")
                    times.append((time.perf_counter() - started) * 1000)
                sql.append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
            out["pages"][str(size)] = {"first": len(first), "deep": len(deep), "village": len(one),
                                       "p50_ms": statistics.median(times), "sql_ms": statistics.median(sql)}
            if size == 100:
                out["queries_100"] = [{"sql": q["sql"], "ms": float(q["time"]) * 1000} for q in deep]
        fig, _ = queries(FIGURES)
        out["figures"] = len(fig)
        # The most a list page costs: a token that sees personal data (each page is recorded), one
        # village (its id is checked), in the minute the token's last use is written.
        token, personal_key = create_token(name="bench-personal", township=None, read_only=True, personal_data=True)
        personal = APIClient()
        personal.credentials(HTTP_AUTHORIZATION=f"Bearer {personal_key}")
        queries(f"{LIST}?page_size=10", personal)  # warm up
        out["worst"] = {}
        for size in PAGE_SIZES:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=None)
            worst, _ = queries(f"{LIST}?village={village.pk}&page_size={size}", personal)
            # the last use is written after the answer is sent (wenshang.api.auth.touch_after): the
            # test client runs it inside the request, a server once the client has its page
            after = [q for q in worst if q["sql"].startswith('UPDATE "wenshang_apitoken"')]
            worst = [q for q in worst if q not in after]
            out["worst"][str(size)] = {"count": len(worst), "after_answer": len(after),
                                       "queries": [q["sql"][:90] for q in worst]}
        self.stdout.write(json.dumps(out, ensure_ascii=False))

    def deep_path(self, size, middle):
        """A page of ``size`` that starts in the middle of the table, as its ``next`` link would say
        (a cursor is a position, encoded the way DRF's CursorPagination encodes it)."""
        pager = CursorPagination()
        pager.base_url = f"{LIST}?page_size={size}"
        return pager.encode_cursor(Cursor(offset=0, reverse=False, position=str(middle)))
