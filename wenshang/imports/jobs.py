"""Import jobs: an uploaded file checked and written in the request when it is small, by the
``wenshang.run_import`` Celery task (defined here) from ``settings.IMPORT_ASYNC_ROWS`` rows on,
with the job's ``progress`` kept; and their retention (``purge_old_jobs``)."""
from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wenshang.imports.cells import mask_personal_text
from wenshang.imports.checking import get_spec
from wenshang.imports.models import ImportJob
from wenshang.imports.reading import estimate_rows
from wenshang.imports.writing import Importer
from wenshang.kernel import audit, events, privacy

logger = logging.getLogger(__name__)


def async_rows():
    return getattr(settings, "IMPORT_ASYNC_ROWS", 5000)


def retention_days():
    """Days an uploaded file and its problem list are kept (``purge_old_jobs``)."""
    return getattr(settings, "IMPORT_RETENTION_DAYS", 30)


def _job_progress(job_id, start, end):
    last = [-1]

    def report(fraction):
        value = int(start + (end - start) * max(0.0, min(1.0, fraction)))
        value = min(value, 99)
        if value != last[0]:
            last[0] = value
            ImportJob.objects.filter(pk=job_id).update(progress=value)

    return report


def _file_path(job):
    return job.file.path


def is_async(rows):
    return rows >= async_rows()


def start_check(job):
    """Check an uploaded job: now when it is small, by the Celery task otherwise."""
    job.total_rows = estimate_rows(_file_path(job))
    job.status = ImportJob.Status.CHECKING
    job.save(update_fields=["total_rows", "status"])
    if is_async(job.total_rows):
        _enqueue(job, "check")
    else:
        run_job(job.pk, "check")
        job.refresh_from_db()
    return job


def start_commit(job, user):
    """Write a checked job once: a commit of a job that is not ready (already running or done)
    does nothing and returns False."""
    if job.user_id != user.pk:
        raise PermissionDenied
    # A job whose file was deleted after the retention period cannot be written.
    claimed = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.READY, purged_at__isnull=True).update(
        status=ImportJob.Status.RUNNING, progress=0
    )
    if not claimed:
        return False
    if is_async(job.total_rows):
        _enqueue(job, "commit")
    else:
        run_job(job.pk, "commit")
    job.refresh_from_db()
    return True


def _enqueue(job, phase):
    """Queue the ``wenshang.run_import`` task once the job is committed."""

    def send():
        try:
            result = run_import.delay(job.pk, phase)
        except Exception as exc:  # noqa: BLE001 - the broker may be down: tell the user
            logger.exception("could not queue import job %s", job.pk)
            ImportJob.objects.filter(pk=job.pk).update(
                status=ImportJob.Status.FAILED, message=_("The task queue is not available: %(error)s") % {"error": exc},
                finished_at=timezone.now(),
            )
            return
        ImportJob.objects.filter(pk=job.pk).update(task_id=result.id or "")

    transaction.on_commit(send)


def run_job(job_id, phase):
    """Check (``phase="check"``) or write (``"commit"``) one job, keeping its progress."""
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    Status = ImportJob.Status
    if phase == "check" and job.status not in (Status.UPLOADED, Status.CHECKING):
        return job.status
    if phase == "commit" and job.status != Status.RUNNING:
        return job.status  # already written, or never claimed: nothing to do
    commit = phase == "commit"
    spec = get_spec(job.entity)
    progress = _job_progress(job.pk, 0, 95 if commit else 99)
    try:
        if spec is None:
            raise LookupError(job.entity)
        importer = Importer(spec, job.user, progress=progress)
        result = importer.run(_file_path(job), commit=commit)
    except PermissionDenied:
        fields = {"status": Status.INVALID, "message": _("You may not import these records.")}
    except Exception as exc:  # noqa: BLE001 - the job records the failure; nothing was written
        logger.exception("import job %s failed", job.pk)
        fields = {"status": Status.FAILED, "message": mask_personal_text(
            _("The import failed and nothing was written: %(error)s") % {"error": exc})}
    else:
        fields = {
            "total_rows": result.total_rows,
            "created_rows": result.created,
            "updated_rows": result.updated,
            "problems": result.listed_problems(),
            "message": result.summary(),
            "sheet": result.sheet[:255],
            "header_row": result.header_row,
        }
        if not result.ok:
            fields["status"] = Status.INVALID
        elif commit:
            fields["status"] = Status.DONE
        else:
            fields["status"] = Status.READY
    fields["progress"] = 100
    if commit or fields["status"] in (Status.FAILED, Status.INVALID):
        fields["finished_at"] = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(**fields)
    if commit or fields["status"] in (Status.FAILED, Status.INVALID):
        county = job.township.county_id if job.township_id else job.user.county_id
        events.happened.send(sender=ImportJob, event="import.finished", county_id=county, township_id=job.township_id, data={
            "job": job.pk, "entity": job.entity, "status": fields["status"], "written": commit and fields["status"] == Status.DONE,
            "rows": fields.get("total_rows", 0), "created": fields.get("created_rows", 0), "updated": fields.get("updated_rows", 0),
            "problems": len(fields.get("problems") or [])})
    return fields["status"]


def unchanged_rows(job):
    return max(0, job.total_rows - job.created_rows - job.updated_rows) if job.status in (
        ImportJob.Status.READY, ImportJob.Status.DONE) else 0


def shown_value(user, entity, header, value):
    """A problem's value as ``user`` may see it (ID and phone numbers masked unless allowed)."""
    spec = get_spec(entity)
    column = spec.by_header.get(header) if spec else None
    if column is None or column.mask is None or not value or privacy.may_see(user):
        return value
    return column.mask(value)


@shared_task(name="wenshang.run_import")
def run_import(job_id, phase="check"):
    """Check (``phase="check"``) or write (``"commit"``) a spreadsheet import job, updating its
    progress as it goes (``run_job``); returns the job's final status."""
    job = ImportJob.objects.select_related("user").filter(pk=job_id).first()
    if job is None:
        return run_job(job_id, phase)  # says the job does not exist
    with audit.actor(job.user, audit.import_source(job.original_name)):  # the history names the file
        return run_job(job_id, phase)


# ---------------------------------------------------------------------------------------------
# Retention
# ---------------------------------------------------------------------------------------------


def purge_old_jobs(now=None):
    """Delete the uploaded files and clear the problem lists of the jobs created more than
    ``settings.IMPORT_RETENTION_DAYS`` days before ``now``; each job stays, with its counts,
    status and summary, marked by ``purged_at``. Run daily by the ``wenshang.purge_imports``
    task (and ``manage.py purge_imports``). Returns the number of jobs purged."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=retention_days())
    purged = 0
    for job in ImportJob.objects.filter(created_at__lt=cutoff, purged_at__isnull=True).order_by("pk").iterator():
        if job.file:
            try:
                job.file.delete(save=False)
            except OSError:
                logger.exception("could not delete the file of import job %s", job.pk)
                continue  # tried again at the next run
        # A job being checked or written keeps its status; it has no file to read any more.
        ImportJob.objects.filter(pk=job.pk).update(file="", problems=[], purged_at=now)
        purged += 1
    return purged
