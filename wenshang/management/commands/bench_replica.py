"""``python manage.py bench_replica``: with ``DATABASE_REPLICA_URL`` set, how far behind the streaming
replica is and what reading from it costs, on the current database (the demo county, ``load_demo``).

1. **Lag**: a row committed on the primary, then the time until a query on the replica sees it
   (``--samples`` times, idle), and the same while another connection writes on the primary
   (``--write-rows`` rows a second in batches of 1,000: an import's pace).
2. **Pages, cold** (the cache emptied before each request) as the county official (``leader``)
   opens them: the county dashboard, the periods page, the map data, the survey board, an API page,
   and a county report's figures, read on the primary and on the replica (p50 and p95 in ms, and
   which database answered the queries) — idle, then while the primary takes the same writes.

The writes go to a scratch table (``bench_replica_probe``, dropped at the end). Nothing here is a
pass/fail test. When both databases are on one machine the replica shares its CPU and disk with the
primary: its figures show the routing's cost and the lag, not a second machine's capacity.
"""
import logging
import statistics
import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from villages.models import SurveyRound
from wenshang.kernel import routers
from wenshang.kernel.models import User
from wenshang.reports import data as report_data

PAGES = ["/", "/dashboard/periods/", "/dashboard/map/data/", "/reports/coverage/", "/api/v1/finance/homesteads/?page_size=100"]
PROBE = "bench_replica_probe"


def pct(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


class Writer(threading.Thread):
    """Writes ``rows`` rows a second on the primary, 1,000 a transaction, until stopped."""

    def __init__(self, rows):
        super().__init__(daemon=True)
        self.rows, self.stop, self.written = rows, threading.Event(), 0

    def run(self):
        connection = connections.create_connection("default")
        try:
            connection.set_autocommit(True)
            with connection.cursor() as cursor:
                started = time.monotonic()
                while not self.stop.is_set():
                    cursor.execute(f"INSERT INTO {PROBE} (payload) SELECT md5(g::text) || md5((g * 7)::text) "
                                   f"FROM generate_series(1, 1000) g")
                    self.written += 1000
                    ahead = self.written / self.rows - (time.monotonic() - started)
                    if ahead > 0:
                        time.sleep(ahead)
        finally:
            connection.close()


class Command(BaseCommand):
    help = "Replication lag and the cost of the dashboards, the API and a report read on the replica vs the primary."

    def add_arguments(self, parser):
        parser.add_argument("--samples", type=int, default=200, help="lag samples, idle and under writes")
        parser.add_argument("--repeat", type=int, default=15, help="cold requests per page and database")
        parser.add_argument("--write-rows", type=int, default=20000, help="rows a second written meanwhile")

    def handle(self, *args, samples, repeat, write_rows, **options):
        if routers.REPLICA not in settings.DATABASES:
            raise CommandError("Set DATABASE_REPLICA_URL (a streaming replica of DATABASE_URL); .ci/replica makes one here.")
        if not User.objects.filter(username="leader").exists():
            raise CommandError("No demo county: run manage.py load_demo first.")
        settings.DEBUG = False
        logging.getLogger("wenshang.request").setLevel(logging.WARNING)  # not a line per request
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        settings.DATABASE_REPLICA_READS = True
        primary = connections["default"]
        with primary.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {PROBE}")
            cursor.execute(f"CREATE TABLE {PROBE} (id bigserial PRIMARY KEY, at timestamptz DEFAULT now(), payload text)")
        self.wait_replayed()
        try:
            self.stdout.write(f"Replica: {settings.DATABASES['replica'].get('HOST')}:{settings.DATABASES['replica'].get('PORT')}"
                              f"; primary: {settings.DATABASES['default'].get('HOST')}:{settings.DATABASES['default'].get('PORT')}")
            idle_lag = self.lag(samples)
            pages_idle = self.pages(repeat)
            writer = Writer(write_rows)
            writer.start()
            try:
                time.sleep(1)
                busy_lag = self.lag(samples)
                pages_busy = self.pages(repeat)
                with primary.cursor() as cursor:
                    cursor.execute("SELECT EXTRACT(EPOCH FROM max(replay_lag)) FROM pg_stat_replication")
                    (replay_lag,) = cursor.fetchone()
            finally:
                writer.stop.set()
                writer.join()
                elapsed_rows = writer.written
        finally:
            with primary.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {PROBE}")
        self.report(idle_lag, busy_lag, pages_idle, pages_busy, write_rows, elapsed_rows, replay_lag)

    # -- lag -------------------------------------------------------------------------------------------
    def wait_replayed(self, timeout=30):
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()")
            (lsn,) = cursor.fetchone()
        deadline = time.monotonic() + timeout
        with connections[routers.REPLICA].cursor() as cursor:
            while True:
                cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
                if cursor.fetchone()[0]:
                    return
                if time.monotonic() > deadline:
                    raise CommandError(f"The replica did not replay {lsn} in {timeout} s: is it streaming?")
                time.sleep(0.01)

    def lag(self, samples):
        """Milliseconds from a row's commit on the primary to a query on the replica seeing it."""
        out = []
        with connections["default"].cursor() as write, connections[routers.REPLICA].cursor() as read:
            for _ in range(samples):
                write.execute(f"INSERT INTO {PROBE} (payload) VALUES ('probe') RETURNING id")
                (pk,) = write.fetchone()
                committed = time.perf_counter()  # autocommit: committed when execute returns
                while True:
                    read.execute(f"SELECT 1 FROM {PROBE} WHERE id = %s", [pk])
                    if read.fetchone():
                        break
                    if time.perf_counter() - committed > 30:
                        raise CommandError("A row did not reach the replica in 30 s.")
                out.append((time.perf_counter() - committed) * 1000)
                time.sleep(0.005)
        return out

    # -- pages -----------------------------------------------------------------------------------------
    def pages(self, repeat):
        """{(page, database): (times in ms, queries on the primary, queries on the replica)}. The two
        databases' requests alternate, so that a change of the machine's load weighs on both alike."""
        leader = User.objects.get(username="leader")
        latest = SurveyRound.objects.order_by("-year", "-quarter").first()
        county = report_data.subject_from_key("county")
        clients = {}
        for on in ("primary", "replica"):
            with override_settings(DATABASE_REPLICA_READS=on == "replica"):
                clients[on] = Client()  # its middleware is made with these settings, at its first request
                clients[on].force_login(leader)
                for url in PAGES:
                    assert clients[on].get(url).status_code == 200, url  # warm the process and the server's buffers

        def report(on):
            if on == "replica":
                with routers.replica_reads():
                    return report_data.collect(county, latest.year, latest.quarter)
            return report_data.collect(county, latest.year, latest.quarter)

        calls = [(url, lambda on, url=url: clients[on].get(url), repeat) for url in PAGES]
        calls.append(("county report's figures", report, max(3, repeat // 3)))
        out = {}
        for name, call, times in calls:
            runs = {on: ([], 0, 0) for on in ("primary", "replica")}
            for _ in range(times):
                for on in ("primary", "replica"):
                    elapsed, on_primary, on_replica = self.timed(lambda call=call, on=on: call(on))
                    runs[on] = (runs[on][0] + [elapsed], on_primary, on_replica)
            for on in ("primary", "replica"):
                out[name, on] = runs[on]
        return out

    def timed(self, call):
        cache.clear()
        with CaptureQueriesContext(connections["default"]) as p, CaptureQueriesContext(connections[routers.REPLICA]) as r:
            started = time.perf_counter()
            call()
            elapsed = (time.perf_counter() - started) * 1000
        return elapsed, len(p.captured_queries), len(r.captured_queries)

    # -- the table -------------------------------------------------------------------------------------
    def report(self, idle_lag, busy_lag, pages_idle, pages_busy, write_rows, written, replay_lag):
        w = self.stdout.write
        w("")
        w("Replication lag: a row's commit on the primary to a query on the replica seeing it (ms)")
        w(f"  {'':<38} {'n':>5} {'p50':>8} {'p95':>8} {'max':>8}")
        for name, values in (("idle", idle_lag), (f"while writing {write_rows:,} rows/s", busy_lag)):
            w(f"  {name:<38} {len(values):>5} {pct(values, 50):>8.2f} {pct(values, 95):>8.2f} {max(values):>8.2f}")
        if replay_lag is not None:
            w(f"  pg_stat_replication.replay_lag at the end of the writes: {float(replay_lag) * 1000:.2f} ms")
        w(f"  rows written meanwhile: {written:,}")
        w("")
        w("Pages cold (cache emptied before each request), county official; ms, and queries on primary / replica")
        w(f"  {'page':<44} {'reads on':<8} {'idle p50':>9} {'p95':>7} {'writing p50':>12} {'p95':>7} {'queries':>9}")
        for (page, on), (times, q_primary, q_replica) in pages_idle.items():
            busy = pages_busy[page, on][0]
            w(f"  {page[:44]:<44} {on:<8} {statistics.median(times):>9.1f} {pct(times, 95):>7.1f}"
              f" {statistics.median(busy):>12.1f} {pct(busy, 95):>7.1f} {q_primary:>4}/{q_replica:<4}")
