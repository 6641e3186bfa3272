"""Celery tasks of the shared kernel. Tasks take ids or codes, load what they need and call the
module that does the work (HackSoft style)."""
from celery import shared_task

from .reports.tasks import build_report, quarterly_reports, send_queued  # noqa: F401 - the survey reports' tasks


@shared_task(name="wenshang.compute_figures")
def compute_figures(township_code=None):
    """The article's figures computed from the records, for the county or one township."""
    from villages.models import Township

    from . import figures

    township = Township.objects.get(code=township_code) if township_code else None
    return figures.compute(township=township)


@shared_task(name="wenshang.run_import")
def run_import(job_id, phase="check"):
    """Check (``phase="check"``) or write (``"commit"``) a spreadsheet import job, updating its
    progress as it goes (``wenshang.imports.run_job``); returns the job's final status."""
    from . import audit, imports
    from .models import ImportJob

    job = ImportJob.objects.select_related("user").filter(pk=job_id).first()
    if job is None:
        return imports.run_job(job_id, phase)  # says the job does not exist
    with audit.actor(job.user, audit.import_source(job.original_name)):  # the history names the file
        return imports.run_job(job_id, phase)


@shared_task(name="wenshang.purge_imports")
def purge_imports():
    """Delete the uploaded files and problem lists of imports older than
    ``settings.IMPORT_RETENTION_DAYS`` (daily, ``CELERY_BEAT_SCHEDULE``); returns how many."""
    from . import imports

    return imports.purge_old_jobs()
