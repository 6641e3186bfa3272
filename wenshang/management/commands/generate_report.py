"""``python manage.py generate_report --year 2024 --quarter 2 --scope county|<city code>|<county code>|<township code>|zone:<id> [--sync]``

Queues a new version of a quarterly survey report for the Celery worker, as the portal does; with
``--sync`` makes it in this process and prints where the files are."""
from django.core.management.base import BaseCommand, CommandError

from wenshang.reports import data, services
from wenshang.reports.models import Report


class Command(BaseCommand):
    help = "Make a quarterly grand-survey report (PDF and XLSX) of a city (its counties compared), a county, a township or a joint-committee zone."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--quarter", type=int, required=True, choices=[1, 2, 3, 4])
        parser.add_argument("--scope", default="county",
                            help="county (the only one), a city's or county's 6-digit code (a city's ends in 00), a township's 9-digit code, or zone:<joint committee id>")
        parser.add_argument("--sync", action="store_true", help="make it in this process instead of the worker")

    def handle(self, *args, year, quarter, scope, sync, **options):
        if scope == "county" or scope.startswith(("zone:", "county:", "city:")):
            key = scope
        elif len(scope) == 6:
            key = f"city:{scope}" if scope.endswith("00") else f"county:{scope}"
        else:
            key = f"township:{scope}"
        try:
            subject = data.subject_from_key(key)
        except LookupError:
            raise CommandError(f"No such scope: {scope} (county, a city's, county's or township's code, or zone:<id>).") from None
        report, created = services.request_report(subject=subject, year=year, quarter=quarter,
                                                  trigger=Report.Trigger.COMMAND, send=not sync)
        if not created:
            raise CommandError(f"Version {report.version} of this report is already {report.get_status_display()} (id {report.pk}).")
        if not sync:
            report.refresh_from_db()
            sent = "queued for the worker" if report.enqueued_at else "kept in the outbox (the broker did not answer)"
            self.stdout.write(f"Report {report.pk}: {report.title}, version {report.version}, {sent}.")
            return
        status = services.run(report.pk)
        report.refresh_from_db()
        if status != Report.Status.DONE:
            raise CommandError(f"Report {report.pk} failed: {report.message}")
        self.stdout.write(f"Report {report.pk}: {report.title}, version {report.version} — {report.message}")
        self.stdout.write(f"  PDF  {report.pdf.path}")
        self.stdout.write(f"  XLSX {report.xlsx.path}")
