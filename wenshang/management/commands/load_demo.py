import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from villages.models import Township
from wenshang.demo.build import DEMO_PASSWORD, DemoCounty
from wenshang.demo.city import CITY, DemoCity


class Command(BaseCommand):
    help = (
        "Build the demo county (Wenshang as of 2024-06-30) on an empty database, deterministically; "
        "--city: the demo city 济宁市, Wenshang and the other 11 counties (about 10x Wenshang)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="do nothing (and succeed) when the database already holds data")
        parser.add_argument("--seed", type=int, default=None, help="random seed (default: the fixed demo seed)")
        parser.add_argument("--city", action="store_true", help="build 济宁市: Wenshang as alone, then the other 11 county-level units")
        parser.add_argument("--scale", type=float, default=1.0,
                            help="with --city: the other counties' size against Wenshang's density (default 1; e.g. 0.05 for a quick city)")
        parser.add_argument("--counties", default="",
                            help="with --city: only these other counties (comma-separated codes, e.g. 370827,370871); Wenshang is always built")

    def handle(self, *args, **options):
        if Township.objects.exists():
            if options["if_empty"]:
                self.stdout.write("The database already holds data; the demo county was not loaded.")
                return
            raise CommandError("The database is not empty: load_demo builds the demo county on an empty database only.")
        if not options["city"] and (options["scale"] != 1.0 or options["counties"]):
            raise CommandError("--scale and --counties go with --city.")
        started = time.perf_counter()
        kwargs = {} if options["seed"] is None else {"seed": options["seed"]}
        if options["city"]:
            only = {c.strip() for c in options["counties"].split(",") if c.strip()} or None
            city = DemoCity(scale=options["scale"], only=only, log=self.stdout.write, **kwargs)
            counts = city.build()
        else:
            counts = DemoCounty(log=self.stdout.write, **kwargs).build()
        if connection.vendor == "postgresql":  # the planner's statistics of the tables just filled (autovacuum comes later)
            analyzed = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            self.stdout.write(f"  statistics of every table gathered (ANALYZE) in {time.perf_counter() - analyzed:.1f} s")
        elapsed = time.perf_counter() - started
        total = sum(counts.values())
        what = f"Demo city {CITY[1]} ({len(city.counties)} counties)" if options["city"] else "Demo county"
        self.stdout.write(self.style.SUCCESS(f"{what} loaded: {total:,} records in {elapsed:.1f} s ({total / elapsed:,.0f} records/s)."))
        if options["city"]:
            parcels = counts.get("finance.Homestead", 0)
            villages = counts.get("villages.Village", 0)
            self.stdout.write(f"  {villages:,} villages, {parcels:,} homestead parcels, {counts.get('villages.Township', 0)} townships.")
        self.stdout.write(
            f"Demo users (password {DEMO_PASSWORD}): admin (county administrator), leader (county official), "
            "finance (finance department editor), t<township code> (township staff, e.g. t370830104 for 寅寺镇)"
            + ("; city (city official), c<county code> (county official, e.g. c370829 for 嘉祥县)." if options["city"] else ".")
        )
