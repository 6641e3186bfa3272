"""``python manage.py metrics verify [--county CODE] [--township CODE]`` · ``metrics rebuild``

The figures' aggregates (``wenshang.web.aggregates``), kept current on every write:

- ``verify`` recomputes them from the records (for the whole database, one county or one township)
  and prints every difference — level, metric, place, quarter, the value kept and the value
  computed — then the catalogue's figures read both ways; it exits with status 1 when there is any
  (the nightly beat runs the same check, ``wenshang.verify_metrics``, and logs it);
- ``rebuild`` refills every aggregate row from the records (after a restore, or a write made with
  ``aggregates.suspended()``).
"""
import time

from django.core.management.base import BaseCommand, CommandError

from villages.models import County, Township
from wenshang.web import aggregates, figures


class Command(BaseCommand):
    help = "Verify the figures' aggregates against the records (exit 1 on any difference), or rebuild them."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify", "rebuild"])
        parser.add_argument("--county", metavar="CODE", help="verify one county (6-digit code)")
        parser.add_argument("--township", metavar="CODE", help="verify one township (9-digit code)")

    def handle(self, *args, action, county=None, township=None, **options):
        started = time.perf_counter()
        if action == "rebuild":
            aggregates.rebuild()
            self.stdout.write(f"Aggregates rebuilt from the records in {time.perf_counter() - started:.1f} s.")
            return
        county_id = township_id = None
        if county:
            county_id = County.objects.filter(code=county).values_list("pk", flat=True).first()
            if county_id is None:
                raise CommandError(f"No county with code {county}.")
        if township:
            township_id = Township.objects.filter(code=township).values_list("pk", flat=True).first()
            if township_id is None:
                raise CommandError(f"No township with code {township}.")
        differences = aggregates.verify(county=county_id, township=township_id)
        for level, metric, c, t, v, year, quarter, member, kept, computed in differences:
            place = f"village {v}" if v else f"township {t}" if t else f"county {c}"
            when = "" if year is None else f" {year}" + (f"Q{quarter}" if quarter else "")
            self.stdout.write(f"{level} {metric} {place}{when}{' ' + member[:8] if member else ''}: "
                              f"kept {_shown(kept)}, records {_shown(computed)}")
        figures_differ = []
        if county_id is None:  # the catalogue's figures, read both ways (a county's are the whole database's today)
            kept, computed = figures.compute(township_id), figures.compute(township_id, raw=True)
            figures_differ = [k for k in computed if kept.get(k) != computed[k]]
            for key in figures_differ:
                self.stdout.write(f"figure {key}: kept {kept.get(key)}, records {computed[key]}")
        total = len(differences) + len(figures_differ)
        self.stdout.write(f"{total} differences ({time.perf_counter() - started:.1f} s).")
        if total:
            raise CommandError(f"{total} differences between the aggregates and the records.")


def _shown(value):
    if value is None:
        return "—"
    number, den = value
    return f"{number}" if den is None else f"{number}/{den}"
