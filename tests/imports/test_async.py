"""Large files: checked and written by the ``wenshang.run_import`` Celery task, with progress."""
import pytest
from django.core.files import File
from django.db import connection
from django.urls import reverse

from finance.models import Homestead
from wenshang import imports, tasks
from wenshang.imports.models import ImportJob
from wenshang.kernel import leases
from wenshang.kernel.models import ObjectChange
from wenshang.web import batch

from .conftest import HOMESTEAD_HEADERS, parcel_row, table, write_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager(monkeypatch):
    """The task sent for a job runs at once in this thread (as a worker would), each call recorded:
    the outbox's send (``leases.publish``, a helper thread elsewhere) is called here."""
    calls = []

    def apply_async(args=None, task_id=None, **options):
        calls.append(tuple(args))
        return tasks.run_import.apply(args=args, task_id=task_id)

    monkeypatch.setattr(tasks.run_import, "apply_async", apply_async)
    monkeypatch.setattr(leases, "publish", lambda send, timeout, on_late=None: send() or True)
    return calls


def make_job(user, path, status):
    job = ImportJob(user=user, township=user.township, entity="homesteads", original_name=path.name, status=status, total_rows=20)
    with open(path, "rb") as fh:
        job.file.save(path.name, File(fh), save=False)
    job.save()
    return job


@pytest.fixture
def big_csv(tmp_path, village_a, settings):
    settings.IMPORT_ASYNC_ROWS = 5
    return write_csv(tmp_path / "big.csv", table(HOMESTEAD_HEADERS, [parcel_row(village_a.code, n) for n in range(1, 21)]))


def test_a_large_file_is_checked_and_written_by_the_task(client, staff_a, big_csv, eager, django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr(imports.checking, "PROGRESS_EVERY", 2)
    seen = []
    real = imports.jobs._job_progress

    def spy(job_id, start, end):
        report = real(job_id, start, end)

        def wrapped(fraction):
            report(fraction)
            seen.append(ImportJob.objects.get(pk=job_id).progress)

        return wrapped

    monkeypatch.setattr(imports.jobs, "_job_progress", spy)
    client.force_login(staff_a)
    with django_capture_on_commit_callbacks(execute=True):
        with open(big_csv, "rb") as fh:
            response = client.post(reverse("imports:upload", args=["homesteads"]), {"file": fh})
    job = ImportJob.objects.get()
    assert eager == [(job.pk, "check")]
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.progress, job.total_rows, job.created_rows) == ("ready", 100, 20, 20)
    assert job.task_id
    assert Homestead.objects.count() == 0
    assert len(seen) > 3 and seen == sorted(seen) and 0 < seen[len(seen) // 2] < 100

    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert reverse("imports:commit", args=[job.pk]) in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:commit", args=[job.pk]))
    assert eager[-1] == (job.pk, "commit")
    job.refresh_from_db()
    assert (job.status, job.progress, job.created_rows) == ("done", 100, 20)
    assert Homestead.objects.count() == 20
    entries = ObjectChange.objects.filter(content_type__model="homestead")
    assert entries.count() == 20 and set(entries.values_list("user__username", flat=True)) == {"staff_a"}
    assert set(entries.values_list("source", flat=True)) == {f"import:{job.original_name}"}  # the task names the file

    # Confirmed again: no second task, nothing more written.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:commit", args=[job.pk]))
    assert len(eager) == 2
    assert Homestead.objects.count() == 20


def test_while_the_task_runs_the_page_shows_progress(client, staff_a, big_csv, monkeypatch):
    """No worker has taken the job yet: the page polls the progress endpoint; the user may leave."""
    queued = []
    monkeypatch.setattr(imports.jobs, "_enqueue", lambda job: queued.append((job.pk, job.status)))
    client.force_login(staff_a)
    with open(big_csv, "rb") as fh:
        client.post(reverse("imports:upload", args=["homesteads"]), {"file": fh})
    job = ImportJob.objects.get()
    assert queued == [(job.pk, "checking")] and job.status == "checking"
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert 'data-working="1"' in page and reverse("imports:progress", args=[job.pk]) in page
    assert 'id="import-waiting" data-progress-waiting hidden' in page  # queued: no word of the queue yet
    assert client.get(reverse("imports:progress", args=[job.pk])).json()["finished"] is False
    assert "big.csv" in client.get(reverse("imports:jobs")).content.decode()
    tasks.run_import(job.pk, "check")  # the worker, later
    job.refresh_from_db()
    assert (job.status, job.progress) == ("ready", 100)
    assert client.get(reverse("imports:progress", args=[job.pk])).json()["finished"] is True


def test_a_commit_of_a_running_or_finished_job_does_nothing(staff_a, big_csv, eager, django_capture_on_commit_callbacks):
    job = make_job(staff_a, big_csv, ImportJob.Status.RUNNING)
    assert imports.start_commit(job, staff_a) is False
    assert tasks.run_import(job.pk, "check") == "running"  # not checked again either
    job.status = ImportJob.Status.DONE
    job.save()
    assert imports.start_commit(job, staff_a) is False
    assert tasks.run_import(job.pk, "commit") == "done"
    assert eager == [] and Homestead.objects.count() == 0


def test_a_failing_task_marks_the_job_and_writes_nothing(staff_a, big_csv, monkeypatch):
    job = make_job(staff_a, big_csv, ImportJob.Status.RUNNING)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(batch.Writer, "insert", broken)
    assert tasks.run_import(job.pk, "commit") == "failed"
    job.refresh_from_db()
    assert "disk full" in job.message and job.progress == 100
    assert Homestead.objects.count() == 0 and ObjectChange.objects.filter(content_type__model="homestead").count() == 0


def test_data_changed_since_the_check_is_found_at_commit(client, staff_a, village_a, tmp_path):
    """The commit checks the file again: a parcel added meanwhile on the website is updated, not duplicated;
    a rule broken meanwhile stops the commit."""
    path = write_csv(tmp_path / "p.csv", table(HOMESTEAD_HEADERS, [parcel_row(village_a.code, 1)]))
    client.force_login(staff_a)
    with open(path, "rb") as fh:
        client.post(reverse("imports:upload", args=["homesteads"]), {"file": fh})
    job = ImportJob.objects.get()
    assert job.created_rows == 1
    staff_a.is_active = False
    staff_a.save()
    assert tasks.run_import(job.pk, "check") == "ready"  # already checked: nothing happens
    ImportJob.objects.filter(pk=job.pk).update(status="running")
    assert tasks.run_import(job.pk, "commit") == "invalid"
    assert Homestead.objects.count() == 0


def test_a_written_jobs_event_is_sent_once_in_the_writes_own_transaction(staff_a, big_csv, eager, monkeypatch):
    """A worker killed after the rows committed leaves the job done and its event sent: both are in
    the write's transaction (wenshang.kernel.leases)."""
    job = make_job(staff_a, big_csv, ImportJob.Status.RUNNING)
    outside = len(connection.atomic_blocks)
    sent = []
    real = imports.jobs._finished
    monkeypatch.setattr(imports.jobs, "_finished", lambda job, status, **counts: (
        sent.append((status, counts["created"], len(connection.atomic_blocks) > outside)), real(job, status, **counts)))
    assert tasks.run_import(job.pk, "commit") == "done"
    assert sent == [("done", 20, True)] and Homestead.objects.count() == 20
