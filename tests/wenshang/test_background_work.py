"""Background work under leases (issue 17), without a worker: the claim, the renewal, the imports'
sweep (taken over, or back to "ready" / failed after the last attempt), the outbox's word to the
person, and the administrators' page. Real workers killed whole: tests/reports/test_takeover.py."""
import datetime as dt
import time
import uuid
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from tests.reports.fixtures import survey  # noqa: F401 - the survey county's records
from wenshang import imports
from wenshang.api.models import Webhook, WebhookDelivery
from wenshang.imports.models import ImportJob
from wenshang.kernel import leases
from wenshang.reports import data, services
from wenshang.reports.models import Report

Status = ImportJob.Status


def job_of(user, status, **fields):
    fields = {"total_rows": 50000, **fields}
    job = ImportJob(user=user, township=user.township, entity="homesteads", original_name="p.csv", status=status, **fields)
    job.file.save("p.csv", ContentFile(b"x"), save=False)
    job.save()
    return job


@pytest.mark.django_db
def test_a_job_is_claimed_once_while_its_lease_holds(staff_a):
    job = job_of(staff_a, Status.RUNNING)
    assert imports.jobs.claim(job.pk, "commit", task_id="m1") == 1
    assert imports.jobs.claim(job.pk, "commit", task_id="m2") is None  # another message while it runs: nothing
    assert imports.jobs.claim(job.pk, "commit", task_id="m1") == 2  # its own message again: its worker process was lost
    ImportJob.objects.filter(pk=job.pk).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    assert imports.jobs.claim(job.pk, "commit", task_id="m3") == 3  # the lease ran out: taken over
    job.refresh_from_db()
    assert job.holder == leases.holder() and job.lease_until > timezone.now()
    assert imports.jobs.claim(job.pk, "check") is None  # a job being written is not checked


@pytest.mark.django_db
def test_the_sweep_takes_over_expired_work_and_gives_up_after_the_last_attempt(staff_a, settings):
    settings.WORK_MAX_ATTEMPTS = 3
    past = timezone.now() - dt.timedelta(seconds=5)
    alive = job_of(staff_a, Status.RUNNING, attempt=1, lease_until=timezone.now() + dt.timedelta(seconds=30), holder="w1:1")
    gone = job_of(staff_a, Status.RUNNING, attempt=1, lease_until=past, holder="w1:2")
    writing = job_of(staff_a, Status.RUNNING, attempt=3, lease_until=past, holder="w2:7",
                     problems=[], created_rows=12, total_rows=12)
    checking = job_of(staff_a, Status.CHECKING, attempt=3, lease_until=past, holder="w3:9")
    sent = []
    with mock.patch.object(imports.jobs, "send_job", side_effect=lambda pk, timeout=None: sent.append(pk) or True):
        assert imports.sweep() == 1
    assert sent == [gone.pk]
    states = {j.pk: (j.status, j.lease_until) for j in ImportJob.objects.all()}
    assert states[alive.pk][0] == Status.RUNNING and states[alive.pk][1] is not None  # its worker is alive: left alone
    writing.refresh_from_db()
    assert writing.status == Status.READY and "3" in writing.message and "w2:7" in writing.message
    assert writing.created_rows == 12  # the check kept: confirm again
    checking.refresh_from_db()
    assert checking.status == Status.FAILED and "w3:9" in checking.message and checking.finished_at


@pytest.mark.django_db
def test_the_person_is_told_queued_then_that_the_queue_is_not_answering(client, staff_a, settings):
    job = job_of(staff_a, Status.CHECKING, queued_at=timezone.now())
    assert imports.waiting_for_queue(job) is False  # just queued
    later = timezone.now() + dt.timedelta(seconds=settings.WORK_QUEUE_WARN_SECONDS + 1)
    assert imports.waiting_for_queue(job, now=later) is True
    ImportJob.objects.filter(pk=job.pk).update(enqueued_at=timezone.now())
    job.refresh_from_db()
    assert imports.waiting_for_queue(job, now=later) is False  # the broker took it: a worker will start it


@pytest.mark.django_db
def test_a_send_that_hangs_costs_the_request_at_most_its_timeout(staff_a):
    job = job_of(staff_a, Status.CHECKING, queued_at=timezone.now())

    def hang(*args, **kwargs):
        time.sleep(5)

    with mock.patch.object(imports.jobs.run_import, "apply_async", side_effect=hang):
        started = time.monotonic()
        assert imports.send_job(job.pk, timeout=0.5) is False
        assert time.monotonic() - started < 1.5
    job.refresh_from_db()
    assert job.enqueued_at is None and job.status == Status.CHECKING  # kept in the outbox


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("survey")
def test_a_lease_is_renewed_while_the_run_lives_and_lost_when_taken_over(settings):
    settings.WORK_LEASE_RENEW_SECONDS = 0.2
    report, _ = services.request_report(subject=data.subject_from_key("county"), year=2024, quarter=2, send=False)
    attempt = services.claim(report.pk, report.task_id)
    first = Report.objects.get(pk=report.pk).lease_until
    mine = Report.objects.filter(pk=report.pk, attempt=attempt, status=Report.Status.RUNNING)
    with leases.Renewal(mine) as renewal:
        time.sleep(0.7)
        assert Report.objects.get(pk=report.pk).lease_until > first and not renewal.lost.is_set()
        Report.objects.filter(pk=report.pk).update(attempt=attempt + 1)  # taken over elsewhere
        time.sleep(0.5)
        assert renewal.lost.is_set()
        with pytest.raises(services.Superseded):
            services._progress(report.pk, attempt, 50, renewal=renewal)


@pytest.mark.django_db
def test_the_administrators_page_lists_background_work(client, admin_user, staff_a, county):
    report, _ = services.request_report(subject=data.subject_from_key("county"), year=2024, quarter=2, send=False)
    Report.objects.filter(pk=report.pk).update(status="running", attempt=2, holder="worker-7:4242",
                                               lease_until=timezone.now() - dt.timedelta(seconds=3))
    job_of(staff_a, Status.FAILED, attempt=3, holder="worker-8:99", message="检查被中断3次")
    hook = Webhook.objects.create(name="统计局", url="https://example.gov.cn/hook", county=county, secret="s", events=["report.ready"])
    WebhookDelivery.objects.create(webhook=hook, uuid=uuid.uuid4(), event="report.ready", payload="{}", attempts=2,
                                   next_attempt_at=timezone.now())
    done = job_of(staff_a, Status.DONE, attempt=1)
    url = reverse("admin:background_work")
    assert client.get(url).status_code == 302  # staff only
    client.force_login(admin_user)
    page = client.get(url).content.decode()
    assert "worker-7:4242" in page and "worker-8:99" in page and "检查被中断3次" in page and "统计局" in page
    assert str(report) in page and done.original_name in page  # the failed job's name (both are p.csv)
    assert page.count('class="row') == 3  # the finished job is not listed
    assert reverse("admin:wenshang_report_change", args=[report.pk]) in page  # each row leads to its record
    assert "1 running item has no live worker" in page or "1 项" in page
