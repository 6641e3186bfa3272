import time

from django.core.management.base import BaseCommand, CommandError

from villages.models import Township
from wenshang.demo.build import DEMO_PASSWORD, DemoCounty


class Command(BaseCommand):
    help = "Build the demo county (Wenshang as of 2024-06-30) on an empty database, deterministically."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="do nothing (and succeed) when the database already holds data")
        parser.add_argument("--seed", type=int, default=None, help="random seed (default: the fixed demo seed)")

    def handle(self, *args, **options):
        if Township.objects.exists():
            if options["if_empty"]:
                self.stdout.write("The database already holds data; the demo county was not loaded.")
                return
            raise CommandError("The database is not empty: load_demo builds the demo county on an empty database only.")
        started = time.perf_counter()
        kwargs = {} if options["seed"] is None else {"seed": options["seed"]}
        counts = DemoCounty(log=self.stdout.write, **kwargs).build()
        elapsed = time.perf_counter() - started
        total = sum(counts.values())
        self.stdout.write(self.style.SUCCESS(f"Demo county loaded: {total:,} records in {elapsed:.1f} s."))
        self.stdout.write(
            f"Demo users (password {DEMO_PASSWORD}): admin (county administrator), leader (county official), "
            "finance (finance department editor), t<township code> (township staff, e.g. t370830104 for 寅寺镇)."
        )
