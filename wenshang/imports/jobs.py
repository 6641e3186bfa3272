"""Import jobs: an uploaded file checked and written in the request when it is small, by the
``wenshang.run_import`` Celery task (defined here) from ``settings.IMPORT_ASYNC_ROWS`` rows on,
with the job's ``progress`` kept; and their retention (``purge_old_jobs``).

A job is background work as a report is (``wenshang.kernel.leases``): its row is the outbox (the
message is sent after the row is committed, ``send_job``; ``enqueued_at`` stays empty until the
broker took it), each run claims it under a row lock with a lease its worker renews, and the task is
acked late and rejected when its worker process is lost. A job whose lease ran out while it was
being checked or written (its worker was killed: nothing was written, the write is one
transaction) is sent again by ``sweep`` (every minute, and at a worker's start), up to
``WORK_MAX_ATTEMPTS`` runs: then a check fails, saying why, and a write goes back to "ready" with
its problem list intact, to be confirmed again. A run that lost its lease never writes: the write
locks the job's row and checks the run still holds it."""
from __future__ import annotations

import datetime as dt
import logging
import uuid

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
from wenshang.kernel import audit, events, leases, privacy

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
    job.queued_at = timezone.now()
    job.save(update_fields=["total_rows", "status", "queued_at"])
    if is_async(job.total_rows):
        _enqueue(job)
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
        status=ImportJob.Status.RUNNING, progress=0, attempt=0, lease_until=None, enqueued_at=None, queued_at=timezone.now()
    )
    if not claimed:
        return False
    if is_async(job.total_rows):
        _enqueue(job)
    else:
        run_job(job.pk, "commit")
    job.refresh_from_db()
    return True


SEND_TIMEOUT = 2.0  # seconds a request waits for the broker (wenshang.kernel.leases.publish)
IN_REQUEST_LEASE = 600  # seconds: a small job checked or written in the request (no renewal there)
WORKING = (ImportJob.Status.CHECKING, ImportJob.Status.RUNNING)


def _phase(status):
    return "check" if status == ImportJob.Status.CHECKING else "commit"


def _enqueue(job):
    """Send the job's task once its row is committed (the row is the outbox: ``sweep`` sends it
    later if the broker does not take it now)."""
    transaction.on_commit(lambda: send_job(job.pk))


def send_job(job_id, timeout=SEND_TIMEOUT):
    """Hand the task of a job being checked or written to the broker; True when it took it within
    ``timeout`` seconds (if it takes it later, the row is marked sent then)."""
    job = ImportJob.objects.filter(pk=job_id, status__in=WORKING).first()
    if job is None:
        return False
    task_id = str(uuid.uuid4())
    ImportJob.objects.filter(pk=job_id, status=job.status, attempt=job.attempt).update(task_id=task_id, enqueued_at=None)

    def mark_sent():
        ImportJob.objects.filter(pk=job_id, task_id=task_id, enqueued_at__isnull=True).update(enqueued_at=timezone.now())

    def send():
        run_import.apply_async(args=[job_id, _phase(job.status)], task_id=task_id, retry=True,
                               retry_policy=settings.REPORT_SEND_RETRY_POLICY)

    sent = leases.publish(send, timeout, on_late=mark_sent)
    if sent:
        mark_sent()
    return sent


def waiting_for_queue(job, now=None):
    """Whether a job has waited for the broker longer than ``WORK_QUEUE_WARN_SECONDS`` (the page
    then says the queue is not answering and the job will start once it is back)."""
    if job.status not in WORKING or job.enqueued_at is not None or job.attempt and job.lease_until:
        return False
    since = job.queued_at or job.created_at
    return since < (now or timezone.now()) - dt.timedelta(seconds=settings.WORK_QUEUE_WARN_SECONDS)


def sweep(now=None):
    """Background work's sweep for imports (beat, every minute, and a worker's start): a job whose
    lease ran out while it was checked or written is sent again (or, after ``WORK_MAX_ATTEMPTS``
    runs, a check fails saying why and a write goes back to "ready"); a job whose message the broker
    never took is sent. Returns the number of jobs sent."""
    now = now or timezone.now()
    Status = ImportJob.Status
    for job in ImportJob.objects.filter(leases.expired(now), status__in=WORKING, attempt__gt=0):
        mine = ImportJob.objects.filter(pk=job.pk, status=job.status, attempt=job.attempt)
        if job.attempt < leases.max_attempts():
            mine.update(lease_until=None, enqueued_at=None, queued_at=now)
        elif job.status == Status.RUNNING:
            mine.update(status=Status.READY, lease_until=None, progress=100, message=_(
                "Writing was interrupted %(n)s times (last on %(holder)s): nothing was written. The check and its "
                "problem list are kept; confirm the import again.") % {"n": job.attempt, "holder": job.holder or "?"})
        else:
            mine.update(status=Status.FAILED, lease_until=None, progress=100, finished_at=now, message=_(
                "Checking was interrupted %(n)s times (last on %(holder)s): upload the file again.")
                % {"n": job.attempt, "holder": job.holder or "?"})
    sent = 0
    waiting = ImportJob.objects.filter(status__in=WORKING, enqueued_at__isnull=True, lease_until__isnull=True).order_by("pk")
    for job in waiting[:100]:
        if job.attempt == 0 and not is_async(job.total_rows) and job.queued_at and job.queued_at > now - dt.timedelta(
                seconds=IN_REQUEST_LEASE):
            continue  # a small job is run in its request
        if not send_job(job.pk):
            break  # the broker is still down: the next sweep tries again
        sent += 1
    return sent


def claim(job_id, phase, task_id=None, lease=None):
    """Take a job for this run, under a lease: one waiting to be checked (uploaded, checking) or
    written (running) that no live run holds (its lease ran out, or it is this very message again:
    its worker process was lost). Returns the attempt number, or None."""
    Status = ImportJob.Status
    allowed = (Status.UPLOADED, Status.CHECKING) if phase == "check" else (Status.RUNNING,)
    now = timezone.now()
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status not in allowed:
            return None
        same_message = task_id and job.task_id == task_id
        if job.attempt and job.lease_until and job.lease_until >= now and not same_message:
            return None
        attempt = job.attempt + 1
        ImportJob.objects.filter(pk=job_id).update(
            status=Status.CHECKING if phase == "check" else Status.RUNNING, attempt=attempt,
            lease_until=leases.until(now, lease), holder=leases.holder(), task_id=task_id or job.task_id)
    return attempt


class Superseded(Exception):
    """Another run took the job over: this one stops without writing."""


def run_job(job_id, phase, task_id=None, renew=False):
    """Check (``phase="check"``) or write (``"commit"``) one job, keeping its progress. ``renew``: a
    worker's run, whose lease a thread renews (a run in the request holds ``IN_REQUEST_LEASE``)."""
    attempt = claim(job_id, phase, task_id, lease=None if renew else IN_REQUEST_LEASE)
    if attempt is None:
        return ImportJob.objects.filter(pk=job_id).values_list("status", flat=True).first()  # another run's, or done
    if not renew:
        return _run_claimed(job_id, phase, attempt, None)
    running = ImportJob.Status.CHECKING if phase == "check" else ImportJob.Status.RUNNING
    with leases.Renewal(ImportJob.objects.filter(pk=job_id, attempt=attempt, status=running)) as renewal:
        return _run_claimed(job_id, phase, attempt, renewal)


def _run_claimed(job_id, phase, attempt, renewal):
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    Status = ImportJob.Status
    commit = phase == "commit"
    spec = get_spec(job.entity)
    shown = _job_progress(job.pk, 0, 95 if commit else 99)

    wrote = []

    def progress(fraction):
        if renewal is not None and renewal.lost.is_set() and not wrote:
            raise Superseded
        shown(fraction)

    def still_mine():  # in the write's transaction: the job's row locked, still this run's
        if not ImportJob.objects.select_for_update().filter(pk=job_id, attempt=attempt, status=Status.RUNNING).exists():
            raise Superseded

    try:
        if spec is None:
            raise LookupError(job.entity)
        importer = Importer(spec, job.user, progress=progress)

        def written():  # in the same transaction as the rows, and its event: a run killed after it is not run again
            wrote.append(True)
            done = importer.result
            done.written = True
            ImportJob.objects.filter(pk=job_id, attempt=attempt).update(
                status=Status.DONE, progress=100, lease_until=None, finished_at=timezone.now(),
                total_rows=done.total_rows, created_rows=done.created, updated_rows=done.updated, message=done.summary())
            _finished(job, Status.DONE, rows=done.total_rows, created=done.created, updated=done.updated, problems=0)

        importer.before_write, importer.after_write_hook = still_mine, written
        result = importer.run(_file_path(job), commit=commit)
    except Superseded:
        logger.info("import job %s: run %s was superseded", job_id, attempt)
        return "skipped"
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
    fields["lease_until"] = None
    if commit or fields["status"] in (Status.FAILED, Status.INVALID):
        fields["finished_at"] = timezone.now()
    if not ImportJob.objects.filter(pk=job.pk, attempt=attempt).update(**fields):
        return "skipped"  # taken over meanwhile (a check's result is the other run's to record)
    if not wrote and (commit or fields["status"] in (Status.FAILED, Status.INVALID)):  # a write's was sent with it
        _finished(job, fields["status"], rows=fields.get("total_rows", 0), created=fields.get("created_rows", 0),
                  updated=fields.get("updated_rows", 0), problems=len(fields.get("problems") or []))
    return fields["status"]


def _finished(job, status, **counts):
    """The ``import.finished`` event (webhooks) of a job written, refused or failed."""
    county = job.township.county_id if job.township_id else job.user.county_id
    events.happened.send(sender=ImportJob, event="import.finished", county_id=county, township_id=job.township_id, data={
        "job": job.pk, "entity": job.entity, "status": status, "written": status == ImportJob.Status.DONE, **counts})


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


@shared_task(bind=True, name="wenshang.run_import", acks_late=True, reject_on_worker_lost=True)
def run_import(self, job_id, phase="check"):
    """Check (``phase="check"``) or write (``"commit"``) a spreadsheet import job, updating its
    progress as it goes (``run_job``, under a renewed lease); returns the job's final status. Acked
    late and rejected when its worker process is lost: the message is run again."""
    job = ImportJob.objects.select_related("user").filter(pk=job_id).first()
    if job is None:
        return None  # deleted meanwhile
    worker = not (self.request.called_directly or self.request.is_eager)
    with audit.actor(job.user, audit.import_source(job.original_name)):  # the history names the file
        return run_job(job_id, phase, task_id=self.request.id if worker else None, renew=worker)


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
