"""``python manage.py bench_writes`` (part of ``make bench``): what the API's writes cost, against the
floor of the same rows written by hand (issue 16).

On a scratch PostgreSQL database (``BENCH_WRITES_DATABASE_URL``, default a ``wenshang_bench_writes``
database on 127.0.0.1), migrated in a child process, it measures in one run:

- the SQL queries and the time of one ``POST /api/v1/finance/loans/`` (the median of 20): the round
  trips to the database, BEGIN and COMMIT named apart;
- 5,000 parcels written by one multi-row ``INSERT … VALUES`` (psycopg2's ``execute_values``, one
  statement), the floor;
- the same 5,000 parcels through ``POST /api/v1/finance/homesteads/bulk/`` (one request), and the
  ratio of the two.

It prints a table and the issue's targets (at most 8 queries a POST; the bulk at most 10x the
floor); nothing in it is a pass/fail test.
"""
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from psycopg2.extras import execute_values
from rest_framework.test import APIClient

from finance.models import Homestead
from villages.models import County, Township, Village
from wenshang.api.tokens import create_token
from wenshang.kernel.validators import id_check_char
from wenshang.management.commands.bench import Command as Bench

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/wenshang_bench_writes"
PARCELS = 5000
POSTS = 20
TARGET_QUERIES, TARGET_RATIO = 8, 10.0
# Transaction control, counted apart: each query is a round trip the request waits on (several
# statements sent together are one: wenshang.kernel.pipeline), BEGIN and COMMIT bracket them.
TRANSACTION_CONTROL = re.compile(r"^(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b")


def id_number(n):
    first17 = f"37083019800101{n % 1000:03d}"
    return first17 + id_check_char(first17)


class Command(BaseCommand):
    help = "Queries and time of an API POST; a 5,000-parcel bulk against a raw multi-row INSERT (PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--child", action="store_true", help="(internal) measure in this process's database")

    def handle(self, *args, **options):
        if options["child"]:
            self.stdout.write(json.dumps(self.measure()))
            return
        url = os.environ.get("BENCH_WRITES_DATABASE_URL", DEFAULT_PG)
        if not Bench.reset_postgres(self, url):  # the scratch database, as bench.py makes its own
            self.stdout.write(f"PostgreSQL at {url} does not answer; bench_writes skipped.")
            return
        env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="wenshang.settings.local",
                   WENSHANG_VAR_DIR=str(Path(settings.BASE_DIR) / "var" / "bench"))
        manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True)
        out = subprocess.run([*manage, "bench_writes", "--child"], env=env, check=True, capture_output=True, text=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        self.stdout.write("")
        self.stdout.write(f"{'API write (PostgreSQL)':<44} {'value':>12}")
        self.stdout.write(f"{'queries per POST of a loan':<44} {r['post_queries']:>12}  (target ≤ {TARGET_QUERIES}; "
                          f"and {r['post_control'] or 'no transaction control'})")
        self.stdout.write(f"{'POST of a loan, median of 20':<44} {r['post_ms']:>10.1f}ms")
        self.stdout.write(f"{'5,000 parcels, one multi-row INSERT (floor)':<44} {r['raw_ms']:>10.1f}ms")
        self.stdout.write(f"{'5,000 parcels, POST …/homesteads/bulk/':<44} {r['bulk_ms']:>10.1f}ms  ({r['bulk_queries']:,} queries)")
        self.stdout.write(f"{'bulk / floor':<44} {r['ratio']:>11.1f}x  (target ≤ {TARGET_RATIO:.0f}x)")

    def measure(self):
        county = County.objects.create(code="370830", name="汶上县")
        township = Township.objects.create(county=county, code="370830104", name="寅寺镇")
        village = Village.objects.create(township=township, code="370830104201", name="东石楼村")
        token, key = create_token(name="bench", township=None, county=county, read_only=False, expires_days=0, personal_data=False)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        out = {}

        # one POST of a loan: its queries, and the median time of 20
        def loan(n):
            return {"kind": "startup_guarantee", "bank": "汶上农商银行", "contract_number": f"B{n:06d}", "borrower_name": "王五",
                    "borrower_id_number": id_number(n), "township": township.pk, "village": village.pk, "amount": "80000.00",
                    "annual_rate": "4.10", "term_months": 36, "granted_on": "2024-05-06", "due_on": "2027-05-06"}

        client.post("/api/v1/finance/loans/", loan(0), format="json")  # warm
        times = []
        for n in range(1, POSTS + 1):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.post("/api/v1/finance/loans/", loan(n), format="json")
                times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 201, response.content
        control = [q for q in queries.captured_queries if TRANSACTION_CONTROL.match(q["sql"])]
        out["post_queries"] = len(queries.captured_queries) - len(control)
        out["post_control"] = ", ".join(q["sql"].split(" ")[0] for q in control)
        out["post_ms"] = statistics.median(times)

        # the floor: the same parcels by one multi-row INSERT, rolled back
        now = timezone.now()
        parcels = [Homestead(village=village, parcel_code=f"{village.code}JC{n:05d}", holder_name=f"户主{n}",
                             holder_id_number=id_number(n), area="120.00", surveyed_on="2021-05-01", created_at=now, updated_at=now)
                   for n in range(PARCELS)]
        fields = [f for f in Homestead._meta.concrete_fields if not f.primary_key]
        rows = [tuple(f.get_db_prep_save(getattr(p, f.attname) if getattr(p, f.attname) is not None else f.get_default(), connection)
                      for f in fields) for p in parcels]
        sql = f"INSERT INTO {Homestead._meta.db_table} ({', '.join(f.column for f in fields)}) VALUES %s"
        with transaction.atomic():
            with connection.cursor() as cursor:
                started = time.perf_counter()
                execute_values(cursor.cursor, sql, rows, page_size=PARCELS)
                out["raw_ms"] = (time.perf_counter() - started) * 1000
            transaction.set_rollback(True)

        # the API's bulk of the same parcels
        body = [{"village": village.pk, "parcel_code": p.parcel_code, "holder_name": p.holder_name,
                 "holder_id_number": p.holder_id_number, "area": "120.00", "surveyed_on": "2021-05-01"} for p in parcels]
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.post("/api/v1/finance/homesteads/bulk/", body, format="json")
            out["bulk_ms"] = (time.perf_counter() - started) * 1000
        assert response.status_code == 201, response.content[:500]
        out["bulk_queries"] = len(queries.captured_queries)
        out["ratio"] = out["bulk_ms"] / out["raw_ms"]
        token.delete()
        return out
