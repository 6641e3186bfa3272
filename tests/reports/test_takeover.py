"""Background work survives the whole worker killed (issue 17): real worker processes on a private
Redis, parent and pool killed with SIGKILL (an out-of-memory kill, a machine restart, a deploy that
does not wait), then a new worker started: a report and an import commit each finish exactly once,
taken over when their lease runs out; killed three times, the report fails, saying why; Redis
stopped while a clerk uploads: the answer comes at once, the import runs once Redis is back."""
import os
import signal
import time

import pytest
from django.core.cache import cache
from django.urls import reverse

from finance.models import Homestead
from tests.imports.conftest import HOMESTEAD_HEADERS, parcel_row, table, write_csv
from tests.reports.test_worker import children, many_villages, report_state, wait_for
from wenshang import imports
from wenshang.imports.models import ImportJob
from wenshang.kernel.models import ObjectChange
from wenshang.reports import data, services
from wenshang.reports.models import Report

pytestmark = [pytest.mark.worker]
ROWS = 60000  # a write of a few seconds, to be killed in
LEASE = {"WORK_LEASE_SECONDS": "8", "WORK_LEASE_RENEW_SECONDS": "2"}  # the workers' (the default is 30 s)


def kill_whole(worker):
    """SIGKILL the worker's pool processes and the worker itself: nobody is left to say anything."""
    for child in children(worker.pid):
        os.kill(child, signal.SIGKILL)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(10)


def test_the_whole_worker_killed_mid_report_and_a_new_one_finishes_it_once(survey, start_worker, media):
    many_villages(survey["a"], 200)
    first = start_worker(**LEASE)
    report, _ = services.request_report(subject=data.subject_from_key("county"), year=2024, quarter=2)
    assert wait_for(lambda: report_state(report.pk)["progress"] >= 25, 120), first.log.read_text()[-3000:]
    held = Report.objects.get(pk=report.pk).holder
    kill_whole(first)
    assert report_state(report.pk)["status"] == "running" and held
    second = start_worker(**LEASE)
    started = time.monotonic()
    assert wait_for(lambda: report_state(report.pk)["status"] == "done", 90), (report_state(report.pk), second.log.read_text()[-3000:])
    took = time.monotonic() - started
    report.refresh_from_db()
    assert report.attempt == 2 and report.holder and report.holder != held  # the new worker's process
    folder = (media / report.pdf.name).parent
    assert sorted(p.suffix for p in folder.iterdir()) == [".pdf", ".xlsx"]  # no half-written file left
    assert (media / report.pdf.name).read_bytes().rstrip().endswith(b"%%EOF")
    print(f"report taken over and finished {took:.1f} s after the new worker started")


def test_a_report_whose_worker_is_killed_three_times_fails_saying_why(survey, start_worker, media):
    many_villages(survey["a"], 200)
    report, _ = services.request_report(subject=data.subject_from_key("county"), year=2024, quarter=2)
    for attempt in (1, 2, 3):
        worker = start_worker(**LEASE)
        assert wait_for(lambda a=attempt: report_state(report.pk)["attempt"] == a and report_state(report.pk)["progress"] >= 5, 90), \
            (attempt, report_state(report.pk), worker.log.read_text()[-3000:])
        kill_whole(worker)
    last = start_worker(**LEASE)
    assert wait_for(lambda: report_state(report.pk)["status"] == "failed", 60), (report_state(report.pk), last.log.read_text()[-3000:])
    report.refresh_from_db()
    assert report.attempt == 3 and "中断3次" in report.message and report.holder in report.message
    assert not (media / "reports").exists() or not list((media / "reports").rglob("*.pdf"))


@pytest.fixture
def big_import(staff_a, village_a, media, tmp_path, settings):
    settings.IMPORT_ASYNC_ROWS = 100
    holder = parcel_row(village_a.code, 1)["使用权人身份证号码"]  # one holder's many parcels (row n's own stops at 999)
    rows = [parcel_row(village_a.code, n, 使用权人身份证号码=holder) for n in range(1, ROWS + 1)]
    path = write_csv(tmp_path / "parcels.csv", table(HOMESTEAD_HEADERS, rows))
    return path


def job_state(pk):
    return ImportJob.objects.values("status", "progress", "attempt", "message").get(pk=pk)


def test_the_whole_worker_killed_mid_import_commit_and_a_new_one_writes_it_once(client, staff_a, big_import, start_worker):
    worker = start_worker(IMPORT_ASYNC_ROWS="100", **LEASE)
    client.force_login(staff_a)
    with open(big_import, "rb") as fh:
        client.post(reverse("imports:upload", args=["homesteads"]), {"file": fh})
    job = ImportJob.objects.get()
    assert wait_for(lambda: job_state(job.pk)["status"] == "ready", 120), (job_state(job.pk), worker.log.read_text()[-3000:])
    client.post(reverse("imports:commit", args=[job.pk]))
    assert wait_for(lambda: job_state(job.pk)["status"] == "running" and job_state(job.pk)["progress"] >= 85, 120, step=0.05), \
        (job_state(job.pk), worker.log.read_text()[-3000:])
    time.sleep(1.0)  # the file checked again (85%): now writing, in one transaction
    kill_whole(worker)
    assert job_state(job.pk)["status"] == "running" and Homestead.objects.count() == 0
    second = start_worker(IMPORT_ASYNC_ROWS="100", **LEASE)
    started = time.monotonic()
    assert wait_for(lambda: job_state(job.pk)["status"] == "done", 90), (job_state(job.pk), second.log.read_text()[-3000:])
    took = time.monotonic() - started
    state = job_state(job.pk)
    assert state["attempt"] == 2 and Homestead.objects.count() == ROWS  # exactly once, no duplicate row
    assert ObjectChange.objects.filter(content_type__model="homestead", action="create").count() == ROWS
    print(f"import commit taken over and written {took:.1f} s after the new worker started")


def test_redis_stopped_while_a_clerk_uploads(client, staff_a, big_import, start_worker, redis_broker):
    worker = start_worker(IMPORT_ASYNC_ROWS="100", **LEASE)
    client.force_login(staff_a)
    redis_broker.stop()
    started = time.monotonic()
    with open(big_import, "rb") as fh:
        response = client.post(reverse("imports:upload", args=["homesteads"]), {"file": fh}, follow=True)
    assert time.monotonic() - started < 3 and response.status_code == 200
    job = ImportJob.objects.get()
    assert job.status == "checking" and job.enqueued_at is None  # kept, in the outbox
    redis_broker.start()
    progress = reverse("imports:progress", args=[job.pk])
    ImportJob.objects.filter(pk=job.pk).update(queued_at=job.queued_at.replace(year=2020))  # waited long enough to say so

    def ready():
        cache.delete(f"imports:resend:{job.pk}")
        return client.get(progress).json()["status"] == "ready"  # the page a person watches sends it again

    assert wait_for(ready, 120, step=1), (job_state(job.pk), worker.log.read_text()[-3000:])
    assert job_state(job.pk)["attempt"] == 1
    assert imports.sweep() == 0  # nothing left to send
