"""Requesting, sending and making reports: nothing half-done, nothing lost.

- ``request_report`` writes a ``Report`` row (a new version) and hands the task to the broker only
  after the transaction commits (``transaction.on_commit``). Sending waits at most
  ``SEND_TIMEOUT`` seconds: when the broker is down or hangs the row stays ``queued`` with no
  ``enqueued_at`` (the outbox) and ``send_queued`` — run every minute by Celery beat, and by the
  progress page a person watches — sends it once the broker answers again.
- ``run`` (the ``reports.build`` task) claims the row, collects the data, writes the PDF and the XLSX
  under temporary names, renames them into place and only then marks the report done. A message
  may arrive twice (a re-send, a redelivery): only one run makes the report. The task is acked late
  and rejected when its worker process is lost, so a worker process killed mid-report (``kill -9``)
  leads to one more run of the same message. The run holds the row under a lease it renews every
  few seconds (``wenshang.kernel.leases``): when the whole worker is gone, the lease runs out and
  the sweep (at a worker's start and every minute) sends the report again, up to
  ``REPORT_MAX_ATTEMPTS`` runs, then marks it failed, saying why.
"""
import datetime as dt
import functools
import logging
import os
import time
import uuid
from pathlib import Path

from celery import current_app
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from villages.models import City, County, Township
from wenshang.closing.services import quarter_closed
from wenshang.kernel import events, leases
from wenshang.kernel.routers import replica_reads
from wenshang.kernel.scope import scope_of
from wenshang.reports import data, pdf, xlsx
from wenshang.reports.models import Report

logger = logging.getLogger(__name__)
SEND_TIMEOUT = 2.0  # seconds a request waits for the broker; with the rest of the request well under 3 s
Status = Report.Status
BUILD_TASK = "reports.build"  # the task (wenshang.reports.tasks.build_report), sent by name: tasks import services


class NotAllowed(Exception):
    pass


# -- who may ask for what -----------------------------------------------------------------------------
def may_request(user, subject):
    """A county's users may request any report of their county; a city's, the city's (its counties
    compared) and any of its counties'; the deployment's, any; township staff their township's (and
    its zones')."""
    if user is None or not user.is_authenticated or not user.is_active or getattr(user, "is_api_client", False):
        return False
    if user.is_superuser:
        return True
    scope = scope_of(user)
    if scope.level == "township":
        return subject.scope != "county" and subject.township is not None and subject.township.pk == user.township_id
    if getattr(user, "role", None) is None:
        return False
    if scope.level == "county":
        return subject.scope != "city" and subject.county_id == scope.county_id
    if scope.level == "city":
        return subject.city_id == scope.city_id
    return True


# -- requesting ---------------------------------------------------------------------------------------
def request_report(*, subject, year, quarter, user=None, trigger=Report.Trigger.PORTAL, send=True, revision=None):
    """A new version of ``subject``'s report of ``year`` Q``quarter``, queued. Returns ``(report, created)``:
    while a version of the same report is still queued or being prepared, that one is returned."""
    if user is not None and not may_request(user, subject):
        raise NotAllowed
    for _attempt in range(3):
        try:
            with transaction.atomic():
                pending = (
                    Report.objects.filter(subject=subject.key, year=year, quarter=quarter,
                                          status__in=[Status.QUEUED, Status.RUNNING]).order_by("-version").first()
                )
                if pending is not None and revision is None:
                    return pending, False
                last = Report.objects.filter(subject=subject.key, year=year, quarter=quarter).aggregate(v=Max("version"))["v"]
                report = Report.objects.create(
                    scope=subject.scope, subject=subject.key, township=subject.township, committee=subject.committee,
                    county_id=subject.county_id, city_id=subject.city_id,
                    year=year, quarter=quarter, version=(last or 0) + 1, title=subject.title(year, quarter),
                    trigger=trigger, requested_by=user if user is not None and user.is_authenticated else None,
                    task_id=str(uuid.uuid4()), revision=revision,
                )
                if send:
                    transaction.on_commit(functools.partial(_send_after_commit, report))
            return report, True
        except IntegrityError:  # two requests numbered the same version at once: number it again
            continue
    raise RuntimeError("could not number the report's version")


def _send_after_commit(report):
    report.sent = send_report(report)  # the view tells the person whether the queue took it


def _enqueue_build(report_id, task_id):
    """Hand ``reports.build`` for ``report_id`` to the broker, by the task's name: the registered task
    when this process imported it (a worker, or a process that loaded ``wenshang.tasks``), else
    ``send_task``; either way this module never imports ``tasks`` (which imports this one)."""
    options = {"task_id": task_id, "retry": True, "retry_policy": settings.REPORT_SEND_RETRY_POLICY}
    task = current_app.tasks.get(BUILD_TASK)
    if task is None:
        return current_app.send_task(BUILD_TASK, args=[report_id], **options)
    return task.apply_async(args=[report_id], **options)


def send_report(report, timeout=SEND_TIMEOUT):
    """Hand ``report``'s task to the broker; True when it took it within ``timeout`` seconds
    (``leases.publish``: a hanging broker never holds the request longer; if it answers later, the
    row is marked sent then)."""
    task_id = report.task_id or str(uuid.uuid4())
    Report.objects.filter(pk=report.pk, status=Status.QUEUED).update(task_id=task_id)

    def mark_sent():
        Report.objects.filter(pk=report.pk, status=Status.QUEUED, task_id=task_id, enqueued_at__isnull=True).update(
            enqueued_at=timezone.now()
        )

    sent = leases.publish(lambda: _enqueue_build(report.pk, task_id), timeout, on_late=mark_sent)
    if sent:
        mark_sent()
    report.task_id = task_id
    return sent


def send_queued(now=None):
    """The outbox sweep (beat, every minute): send reports the broker never took, or took long ago
    with no worker starting them; take over or fail reports whose worker stopped. Returns the
    number sent."""
    now = now or timezone.now()
    resend_before = now - dt.timedelta(seconds=settings.REPORT_RESEND_SECONDS)
    # a running report whose lease ran out: its process is gone, whatever stopped it (wenshang.kernel.leases)
    for report in Report.objects.filter(leases.expired(now), status=Status.RUNNING):
        if report.attempt >= settings.REPORT_MAX_ATTEMPTS:
            _fail(report.pk, report.attempt, f"报告生成进程已中断{report.attempt}次（最后在 {report.holder or '未知进程'}），"
                                             f"已停止重试，请重新申请。")
        else:
            Report.objects.filter(pk=report.pk, status=Status.RUNNING, attempt=report.attempt).update(
                status=Status.QUEUED, enqueued_at=None, task_id=str(uuid.uuid4()), lease_until=None
            )
    sent = 0
    waiting = Report.objects.filter(status=Status.QUEUED).filter(
        Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=resend_before)
    ).order_by("created_at")
    for report in waiting[:100]:
        if report.enqueued_at is not None:  # taken long ago, never started: a new message (the old one may be lost)
            Report.objects.filter(pk=report.pk, status=Status.QUEUED).update(enqueued_at=None, task_id=str(uuid.uuid4()))
            report.refresh_from_db()
        if not send_report(report):
            break  # the broker is still down: try again at the next sweep
        sent += 1
    return sent


def waiting_for_queue(report, now=None):
    """Whether a queued report has waited for the broker longer than ``WORK_QUEUE_WARN_SECONDS`` (its
    page then says the queue is not answering and the report will be made once it is back)."""
    return (report.status == Status.QUEUED and report.enqueued_at is None
            and report.created_at < (now or timezone.now()) - dt.timedelta(seconds=settings.WORK_QUEUE_WARN_SECONDS))


def resend_if_waiting(report):
    """Called when a person watches a queued report: if the broker never took it, try again (at most
    every 10 s per report). Returns True when it was sent now."""
    if report.status != Status.QUEUED or report.enqueued_at is not None:
        return False
    if not cache.add(f"reports:resend:{report.pk}", 1, 10):
        return False
    return send_report(report)


# -- making -------------------------------------------------------------------------------------------
def claim(report_id, task_id):
    """Take the report for this run, under a lease (``wenshang.kernel.leases``): a queued one; a running
    one whose run died (the same message redelivered after its worker process was killed, or its
    lease ran out). Returns the claimed attempt number, or None when another run holds it or it is
    finished."""
    now = timezone.now()
    with transaction.atomic():
        report = Report.objects.select_for_update().filter(pk=report_id).first()
        if report is None or report.status in (Status.DONE, Status.FAILED):
            return None
        if report.status == Status.RUNNING:
            same_message = task_id and report.task_id == task_id
            if not same_message and report.lease_until and report.lease_until >= now:
                return None
        attempt = report.attempt + 1
        Report.objects.filter(pk=report_id).update(
            status=Status.RUNNING, attempt=attempt, started_at=now, heartbeat_at=now, progress=1, message="",
            task_id=task_id or report.task_id, lease_until=leases.until(now), holder=leases.holder(),
        )
    return attempt


class Superseded(Exception):
    """Another run took the report over: this one stops without writing."""


def _progress(report_id, attempt, value, renewal=None):
    if renewal is not None and renewal.lost.is_set():
        raise Superseded
    updated = Report.objects.filter(pk=report_id, attempt=attempt, status=Status.RUNNING).update(
        progress=max(1, min(99, int(value))), heartbeat_at=timezone.now()
    )
    if not updated:
        raise Superseded


def _fail(report_id, attempt, message):
    Report.objects.filter(pk=report_id, attempt=attempt).exclude(status=Status.DONE).update(
        status=Status.FAILED, message=message, finished_at=timezone.now(), lease_until=None
    )


def report_dir(report):
    return Path(settings.REPORTS_DIR) / f"{report.year}Q{report.quarter}" / report.subject.replace(":", "-") / f"v{report.version}"


def file_stem(report):
    return f"{report.title}（第{report.version}版）"


def run(report_id, task_id=None, renew=False):
    """Make one report (the task's body). Returns its final status, or ``"skipped"``. ``renew``: the
    lease is renewed by a thread while it runs (a worker's run; a run called in the process, as a test
    does, holds the claim's lease)."""
    attempt = claim(report_id, task_id)
    if attempt is None:
        return "skipped"
    if not renew:
        return _make(report_id, attempt, None)
    with leases.Renewal(Report.objects.filter(pk=report_id, attempt=attempt, status=Status.RUNNING)) as renewal:
        return _make(report_id, attempt, renewal)


def _make(report_id, attempt, renewal):
    progress = functools.partial(_progress, report_id, attempt, renewal=renewal)
    report = Report.objects.select_related("township", "committee").get(pk=report_id)
    folder = report_dir(report)
    folder.mkdir(parents=True, exist_ok=True)
    for leftover in folder.glob("*.part"):  # a run killed mid-write left these: never shown as done
        leftover.unlink(missing_ok=True)
    started = time.monotonic()
    try:
        subject = data.subject_from_key(report.subject)
        with replica_reads():  # the figures from the replica, if there is one (progress is written on the primary)
            content = data.collect(subject, report.year, report.quarter, revision=report.revision,
                                   progress=lambda done, total: progress(2 + 18 * done / total))
        stem = file_stem(report)
        pdf_part = folder / f"{stem}.{attempt}.pdf.part"
        xlsx_part = folder / f"{stem}.{attempt}.xlsx.part"
        pages = pdf.build(content, pdf_part, progress=lambda done, total: progress(20 + 70 * done / total))
        progress(92)
        xlsx.build(content, xlsx_part)
        progress(98)
        pdf_path, xlsx_path = folder / f"{stem}.pdf", folder / f"{stem}.xlsx"
        os.replace(pdf_part, pdf_path)  # atomic: a reader sees the old file or the whole new one
        os.replace(xlsx_part, xlsx_path)
        root = Path(settings.MEDIA_ROOT)
        done = Report.objects.filter(pk=report_id, attempt=attempt, status=Status.RUNNING).update(
            status=Status.DONE, progress=100, lease_until=None, finished_at=timezone.now(), heartbeat_at=timezone.now(), pages=pages,
            pdf=_relative(pdf_path, root), xlsx=_relative(xlsx_path, root),
            pdf_bytes=pdf_path.stat().st_size, xlsx_bytes=xlsx_path.stat().st_size,
            message=(f"共 {len(content['counties'])} 个县（市、区）、{pages} 页" if content["scope"] == "city" else
                     f"共 {len(content['villages'])} 个村、{pages} 页") + f"，用时 {time.monotonic() - started:.1f} 秒。",
        )
        if not done:
            raise Superseded
        events.happened.send(sender=Report, event="report.ready", county_id=report.county_id, township_id=report.township_id,
                             data={"report": report.pk, "title": report.title, "subject": report.subject, "year": report.year,
                                   "quarter": report.quarter, "version": report.version, "official_revision": report.revision,
                                   "pages": pages})
        return Status.DONE
    except Superseded:
        logger.info("report %s: run %s was superseded", report_id, attempt)
        return "skipped"
    except SoftTimeLimitExceeded:
        _fail(report_id, attempt, f"生成超过时限（{settings.REPORT_SOFT_TIME_LIMIT} 秒），已停止。请缩小范围或稍后重试。")
        return Status.FAILED
    except Exception as exc:  # noqa: BLE001 - the report records why it failed
        logger.exception("report %s failed", report_id)
        _fail(report_id, attempt, f"生成失败：{exc}")
        return Status.FAILED
    finally:
        for leftover in folder.glob(f"*.{attempt}.*.part"):
            leftover.unlink(missing_ok=True)


def _relative(path, root):
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


# -- the schedule ---------------------------------------------------------------------------------
def quarterly(today=None):
    """Every city's, county's and township's report of the quarter before ``today`` (the beat task, on
    the first day of each quarter). Returns the reports queued."""
    today = today or timezone.localdate()
    year, quarter = data.previous_quarter(*data.quarter_of(today))
    subjects = [data.Subject("city", city=city) for city in City.objects.filter(counties__isnull=False).distinct().order_by("code")]
    for county in County.objects.order_by("code"):  # every county's report, then its townships'
        subjects.append(data.Subject("county", county=county))
        subjects += [data.Subject("township", township=t) for t in Township.objects.filter(county=county).order_by("code")]
    return [
        request_report(subject=s, year=year, quarter=quarter, trigger=Report.Trigger.SCHEDULE)[0] for s in subjects
    ]


# -- the official version of a closed quarter ------------------------------------------------------
def official(sender, snapshot, **kwargs):
    """A quarter closed (or its frozen figures revised): the county's official report of it, a new
    version marked with the revision (the earlier versions' files stay as they were)."""
    close = snapshot.close
    request_report(subject=data.Subject("county", county=close.county), year=close.year, quarter=close.quarter,
                   trigger=Report.Trigger.CLOSE, revision=snapshot.revision)


quarter_closed.connect(official, dispatch_uid="reports-official-version")
