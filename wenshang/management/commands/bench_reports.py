"""``python manage.py bench_reports``: the county report (every village) and one township's report of
the latest survey round, each made in a fresh process on the current database, as one worker makes
it: wall time and peak memory (the process's maximum resident set). Needs the demo county
(``load_demo``); nothing here is a pass/fail test. Targets (issue 6): county under 30 s and 1 GB,
a township under 5 s."""
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from villages.models import SurveyRound
from wenshang.reports import data, pdf, xlsx


class Command(BaseCommand):
    help = "Time the county's and a township's quarterly survey report (PDF + XLSX) on the current database."

    def add_arguments(self, parser):
        parser.add_argument("--township", default="370830104", help="the township whose report is timed")
        parser.add_argument("--one", help="(internal) make one report in this process and print JSON")
        parser.add_argument("--year", type=int)
        parser.add_argument("--quarter", type=int)

    def handle(self, *args, township, one, year, quarter, **options):
        if year is None:
            latest = SurveyRound.objects.order_by("-year", "-quarter").first()
            if latest is None:
                raise CommandError("No survey round: load the demo county first (manage.py load_demo).")
            year, quarter = latest.year, latest.quarter
        if one:
            self.stdout.write(json.dumps(self.measure(one, year, quarter)))
            return
        rows = []
        for scope in ("county", f"township:{township}"):
            out = subprocess.run(
                [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "bench_reports", "--one", scope,
                 "--year", str(year), "--quarter", str(quarter)],
                capture_output=True, text=True, check=True,
            )
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        self.stdout.write(f"{'report':<44} {'villages':>8} {'pages':>6} {'time':>8} {'peak RSS':>9} {'PDF':>9} {'XLSX':>8}")
        for r in rows:
            self.stdout.write(
                f"{r['title']:<36} {r['villages']:>8} {r['pages']:>6} {r['seconds']:>7.1f}s {r['peak_mb']:>7.0f}MB"
                f" {r['pdf_kb']:>7.0f}KB {r['xlsx_kb']:>6.0f}KB"
            )
        self.stdout.write("Targets: the county report under 30 s and 1 GB on one worker; a township's under 5 s.")

    def measure(self, key, year, quarter):
        started = time.monotonic()
        with tempfile.TemporaryDirectory() as tmp:
            content = data.collect(data.subject_from_key(key), year, quarter)
            pages = pdf.build(content, Path(tmp) / "r.pdf")
            xlsx.build(content, Path(tmp) / "r.xlsx")
            seconds = time.monotonic() - started
            pdf_kb = (Path(tmp) / "r.pdf").stat().st_size / 1024
            xlsx_kb = (Path(tmp) / "r.xlsx").stat().st_size / 1024
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return {"title": content["title"], "villages": len(content["villages"]), "pages": pages, "seconds": seconds,
                "peak_mb": peak_mb, "pdf_kb": pdf_kb, "xlsx_kb": xlsx_kb}
