"""``python manage.py purge_imports [--now 2025-06-30T09:00:00+08:00]``

Deletes the uploaded files and clears the problem lists of spreadsheet imports older than
``settings.IMPORT_RETENTION_DAYS`` days (``wenshang.imports.purge_old_jobs``, which the daily
``wenshang.purge_imports`` Celery task also runs). The jobs stay, marked as purged.
"""
import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from wenshang import imports


class Command(BaseCommand):
    help = "Delete the files and problem lists of spreadsheet imports older than IMPORT_RETENTION_DAYS."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="the time to count from, ISO 8601 (default: now)")

    def handle(self, *args, now=None, **options):
        moment = None
        if now:
            try:
                moment = dt.datetime.fromisoformat(now)
            except ValueError:
                raise CommandError(f"--now: not an ISO 8601 time: {now}")
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
        count = imports.purge_old_jobs(now=moment)
        self.stdout.write(f"{count} import job(s) purged.")
