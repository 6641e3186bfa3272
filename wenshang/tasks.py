"""Celery tasks of the shared kernel. Tasks take ids or codes, load what they need and call the
module that does the work (HackSoft style)."""
from celery import shared_task
from celery.signals import worker_ready

from villages.models import Township
from wenshang.api import idempotency, webhooks
from wenshang.imports import jobs
from wenshang.imports.jobs import run_import  # noqa: F401 - wenshang.run_import: a spreadsheet import job, checked or written
from wenshang.kernel import leases
from wenshang.reports.tasks import build_report, quarterly_reports, send_queued  # noqa: F401 - the survey reports' tasks
from wenshang.web import aggregates, figures


@shared_task(name="wenshang.sweep_imports", ignore_result=True)
def sweep_imports():
    """Imports whose message the broker never took sent; imports whose lease ran out (their worker
    is gone) taken over (every minute, and at a worker's start); returns the number sent."""
    return jobs.sweep()


@worker_ready.connect
def take_over_at_start(sender=None, **kwargs):
    """A worker starting (after a crash, a restart, a deploy): background work left by a worker that
    is gone is taken over now, and once more when the leases of a worker killed just before have run
    out (``WORK_LEASE_SECONDS``), without waiting for beat."""
    for countdown in (0, leases.lease_seconds() + 1):
        send_queued.apply_async(countdown=countdown)
        sweep_imports.apply_async(countdown=countdown)


@shared_task(name="wenshang.compute_figures")
def compute_figures(township_code=None):
    """The article's figures computed from the records, for the county or one township."""
    township = Township.objects.get(code=township_code) if township_code else None
    return figures.compute(township=township)


@shared_task(name="wenshang.verify_metrics", ignore_result=True)
def verify_metrics():
    """Recompute the figures' aggregates from the records and log the result (nightly,
    ``CELERY_BEAT_SCHEDULE``; ``manage.py metrics verify`` prints it); returns the number of differences."""
    return aggregates.verify_and_log()


@shared_task(name="wenshang.purge_imports")
def purge_imports():
    """Delete the uploaded files and problem lists of imports older than
    ``settings.IMPORT_RETENTION_DAYS`` (daily, ``CELERY_BEAT_SCHEDULE``); returns how many."""
    return jobs.purge_old_jobs()


@shared_task(name="wenshang.purge_idempotency_keys", ignore_result=True)
def purge_idempotency_keys():
    """Delete the API's idempotency keys older than ``API_IDEMPOTENCY_HOURS`` (hourly); returns how many."""
    return idempotency.purge()


@shared_task(name="wenshang.webhooks", ignore_result=True)
def deliver_webhooks():
    """The subscribers' record events collected from the change log, and the due deliveries sent
    (after each commit that changed records, and every minute); returns {state: count}."""
    return webhooks.dispatch()
