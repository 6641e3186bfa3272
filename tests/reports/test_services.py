"""Requesting (after commit, versions, the outbox when the broker is down), running (claims, atomic
files, time limits) and the quarterly schedule."""
import datetime as dt
import hashlib
import time
from unittest import mock

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from celery.schedules import crontab
from django.conf import settings
from django.utils import timezone

from wenshang.kernel import leases
from wenshang.reports import data, services, tasks
from wenshang.reports.models import Report

pytestmark = pytest.mark.django_db
Status = Report.Status


def county():
    return data.subject_from_key("county")


def test_the_task_is_sent_only_after_the_transaction_commits(survey, django_capture_on_commit_callbacks):
    with mock.patch.object(tasks.build_report, "apply_async") as send:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            report, created = services.request_report(subject=county(), year=2024, quarter=2)
        assert created and send.call_count == 0  # nothing sent inside the transaction
        for callback in callbacks:
            callback()
    assert send.call_count == 1
    assert send.call_args.kwargs["args"] == [report.pk] and send.call_args.kwargs["task_id"] == report.task_id
    report.refresh_from_db()
    assert report.status == Status.QUEUED and report.enqueued_at is not None and report.sent is True


def test_versions_and_a_pending_request_is_not_doubled(survey):
    first, created = services.request_report(subject=county(), year=2024, quarter=2, send=False)
    again, created_again = services.request_report(subject=county(), year=2024, quarter=2, send=False)
    assert created and not created_again and again.pk == first.pk  # a double click makes one report
    Report.objects.filter(pk=first.pk).update(status=Status.DONE)
    second, _ = services.request_report(subject=county(), year=2024, quarter=2, send=False)
    assert (first.version, second.version) == (1, 2)
    other, _ = services.request_report(subject=county(), year=2024, quarter=1, send=False)
    assert other.version == 1


def test_a_report_is_made_and_last_quarters_stays_unchanged(survey, reports_dir):
    q1, _ = services.request_report(subject=county(), year=2024, quarter=1, send=False)
    assert services.run(q1.pk, task_id=q1.task_id) == Status.DONE
    q1.refresh_from_db()
    assert q1.status == Status.DONE and q1.progress == 100 and q1.attempt == 1 and q1.pages > 4
    pdf_path, xlsx_path = reports_dir.parent / q1.pdf.name, reports_dir.parent / q1.xlsx.name
    assert pdf_path.read_bytes().startswith(b"%PDF") and q1.pdf_bytes == pdf_path.stat().st_size
    assert xlsx_path.stat().st_size == q1.xlsx_bytes > 0
    before = hashlib.sha256(pdf_path.read_bytes()).hexdigest()
    q2, _ = services.request_report(subject=county(), year=2024, quarter=2, send=False)
    services.run(q2.pk, task_id=q2.task_id)
    again, _ = services.request_report(subject=county(), year=2024, quarter=1, send=False)
    services.run(again.pk, task_id=again.task_id)
    again.refresh_from_db()
    assert again.version == 2 and again.pdf.name != q1.pdf.name
    assert hashlib.sha256(pdf_path.read_bytes()).hexdigest() == before  # version 1 was not rewritten
    assert not list(reports_dir.rglob("*.part"))
    # a second delivery of a finished report's message does nothing
    assert services.run(q1.pk, task_id=q1.task_id) == "skipped"


def test_claims_one_run_at_a_time(survey):
    report, _ = services.request_report(subject=county(), year=2024, quarter=2, send=False)
    assert services.claim(report.pk, report.task_id) == 1
    assert services.claim(report.pk, "another-message") is None  # a duplicate while it runs: nothing
    assert services.claim(report.pk, report.task_id) == 2  # its own message redelivered: the worker died
    Report.objects.filter(pk=report.pk).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    assert services.claim(report.pk, "another-message") == 3  # its lease ran out (nobody renewed it): taken over
    assert Report.objects.get(pk=report.pk).holder == leases.holder()
    with pytest.raises(services.Superseded):
        services._progress(report.pk, 2, 50)  # the run taken over stops at its next step


def test_half_written_files_never_show_as_done(survey, reports_dir):
    report, _ = services.request_report(subject=county(), year=2024, quarter=2, send=False)
    with mock.patch("wenshang.reports.xlsx.build", side_effect=OSError("disk full")):
        assert services.run(report.pk, task_id=report.task_id) == Status.FAILED
    report.refresh_from_db()
    assert report.status == Status.FAILED and "disk full" in report.message and not report.pdf
    assert not list(reports_dir.rglob("*.part")) and not list(reports_dir.rglob("*.pdf"))


def test_the_soft_time_limit_fails_the_report_with_a_reason(survey, reports_dir):
    report, _ = services.request_report(subject=county(), year=2024, quarter=2, send=False)
    with mock.patch("wenshang.reports.pdf.build", side_effect=SoftTimeLimitExceeded()):
        assert services.run(report.pk, task_id=report.task_id) == Status.FAILED
    report.refresh_from_db()
    assert "时限" in report.message
    assert tasks.build_report.soft_time_limit == settings.REPORT_SOFT_TIME_LIMIT < tasks.build_report.time_limit
    assert tasks.build_report.acks_late and tasks.build_report.reject_on_worker_lost
    if "visibility_timeout" in settings.CELERY_BROKER_TRANSPORT_OPTIONS:
        assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] > tasks.build_report.time_limit


def test_a_hanging_broker_costs_the_request_at_most_the_send_timeout(survey, django_capture_on_commit_callbacks):
    def hang(*args, **kwargs):
        time.sleep(5)
        raise ConnectionError("no answer")

    with mock.patch.object(tasks.build_report, "apply_async", side_effect=hang):
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            report, _ = services.request_report(subject=county(), year=2024, quarter=2)
        assert time.monotonic() - started < 3
    assert report.sent is False
    report.refresh_from_db()
    assert report.status == Status.QUEUED and report.enqueued_at is None  # kept in the outbox


def test_the_outbox_sends_what_the_broker_did_not_take(survey):
    report, _ = services.request_report(subject=county(), year=2024, quarter=2, send=False)
    with mock.patch.object(tasks.build_report, "apply_async", side_effect=ConnectionError("down")):
        assert services.send_queued() == 0
    with mock.patch.object(tasks.build_report, "apply_async") as send:
        assert services.send_queued() == 1
        assert services.send_queued() == 0  # taken: not sent twice
    assert send.call_count == 1
    report.refresh_from_db()
    assert report.enqueued_at is not None
    # a run whose worker vanished is queued again, and failed after REPORT_MAX_ATTEMPTS runs
    long_ago = timezone.now() - dt.timedelta(seconds=5)
    Report.objects.filter(pk=report.pk).update(status=Status.RUNNING, attempt=1, lease_until=timezone.now() + dt.timedelta(seconds=30))
    with mock.patch.object(tasks.build_report, "apply_async") as send:
        assert services.send_queued() == 0  # its lease holds: its run is alive
    Report.objects.filter(pk=report.pk).update(status=Status.RUNNING, attempt=1, lease_until=long_ago)
    with mock.patch.object(tasks.build_report, "apply_async") as send:
        assert services.send_queued() == 1
    report.refresh_from_db()
    assert report.status == Status.QUEUED and report.enqueued_at is not None
    Report.objects.filter(pk=report.pk).update(status=Status.RUNNING, attempt=settings.REPORT_MAX_ATTEMPTS, lease_until=long_ago)
    services.send_queued()
    report.refresh_from_db()
    assert report.status == Status.FAILED and "中断" in report.message


def test_the_quarterly_schedule(survey):
    entry = settings.CELERY_BEAT_SCHEDULE["quarterly-survey-reports"]
    assert entry["task"] == tasks.quarterly_reports.name
    assert entry["schedule"] == crontab(minute=30, hour=0, day_of_month=1, month_of_year="1,4,7,10")
    assert settings.CELERY_BEAT_SCHEDULE["send-queued-reports"]["task"] == tasks.send_queued.name
    with mock.patch.object(tasks.build_report, "apply_async"):
        made = services.quarterly(today=dt.date(2024, 7, 1))
    assert [(r.subject, r.year, r.quarter, r.trigger) for r in made] == [
        ("county:370830", 2024, 2, "schedule"), ("township:370830102", 2024, 2, "schedule"), ("township:370830104", 2024, 2, "schedule"),
    ]
    assert services.quarterly(today=dt.date(2025, 1, 1))[0].quarter == 4
