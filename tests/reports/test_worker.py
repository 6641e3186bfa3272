"""Real worker processes on a private Redis (a redis-server of the test's own, never the machine's):
a report end to end; a worker process killed mid-report (``kill -9``) and the report finished once;
the broker stopped (and hanging) and started again, the request kept and made."""
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.urls import reverse

from tests.wenshang.test_worker import database_url
from villages.models import County, Village
from wenshang.celery import app
from wenshang.reports import data, services
from wenshang.reports.models import Report

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.worker, pytest.mark.skipif(not Path("/usr/bin/redis-server").exists() and not
                                                    subprocess.run(["which", "redis-server"], capture_output=True).stdout,
                                                    reason="redis-server is not installed")]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    def __init__(self, tmp_path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = tmp_path / f"redis-{self.port}.log"
        self.proc = None

    def start(self):
        # The server keeps the machine's real clock: a test run under libfaketime (the suite is run
        # with the date moved to 31 December and 1 January) must not preload it into Redis, which
        # cannot start with it.
        env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=self.log.open("a"), stderr=subprocess.STDOUT, env=env,
        )
        for _ in range(100):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            self.proc.wait(10)


@pytest.fixture
def redis_broker(tmp_path):
    """A private redis-server, and this process's Celery app sending to it."""
    server = PrivateRedis(tmp_path)
    server.start()
    conf = app.conf
    saved = conf.broker_url, conf.broker_transport_options, conf.result_backend
    conf.broker_url = server.url
    conf.broker_transport_options = {"visibility_timeout": 3600, "socket_timeout": 1.0, "socket_connect_timeout": 1.0}
    conf.result_backend = None

    def reset_pools():  # forget the connections to the other broker (never close them: others may hold them)
        app._pool = None
        app.amqp._producer_pool = None

    reset_pools()
    yield server
    server.stop()
    conf.broker_url, conf.broker_transport_options, conf.result_backend = saved
    reset_pools()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.REPORTS_DIR = str(tmp_path / "media" / "reports")
    return tmp_path / "media"


@pytest.fixture
def start_worker(transactional_db, redis_broker, media, tmp_path):
    procs = []

    def start(flags=None, **more_env):
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="wenshang.settings.test", DATABASE_URL=database_url(),
                   REDIS_URL=redis_broker.url, MEDIA_ROOT=str(media), REPORTS_DIR=str(media / "reports"), **more_env)
        if flags:
            env["REPORTS_TASK_FLAGS"] = flags
        log = tmp_path / f"worker-{len(procs)}.log"
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "tests.reports.worker_app", "worker", "--pool", "prefork",
             "--concurrency", "1", "--loglevel", "info", "--without-gossip", "--without-mingle", "--without-heartbeat",
             "--hostname", f"reports-{os.getpid()}-{len(procs)}@%h"],
            cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
        )
        proc.log = log
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    connection.close()


def wait_for(predicate, timeout, step=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return None


def report_state(pk):
    return Report.objects.values("status", "progress", "attempt").get(pk=pk)


def children(pid):
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(x) for x in path.read_text().split()] if path.exists() else []


def many_villages(township, n):
    Village.objects.bulk_create(
        [Village(township=township, code=f"{township.code}{400 + i:03d}", name=f"测试{i}村") for i in range(n)]
    )


def test_a_report_end_to_end(survey, start_worker, media):
    worker = start_worker()
    started = time.monotonic()
    report, created = services.request_report(subject=data.subject_from_key("county"), year=2024, quarter=2)
    assert created
    assert wait_for(lambda: report_state(report.pk)["status"] == "done", 120), (report_state(report.pk), worker.log.read_text()[-3000:])
    report.refresh_from_db()
    assert report.enqueued_at is not None  # the broker took it (the first connection may answer after the request's wait)
    assert worker.poll() is None
    assert report.attempt == 1 and report.pages >= 7
    assert (media / report.pdf.name).read_bytes().startswith(b"%PDF")
    print(f"county report of 4 villages through a worker on Redis: {time.monotonic() - started:.1f} s")


@pytest.mark.parametrize("flags,reruns", [
    ("11", True),  # acks_late + reject_on_worker_lost (the settings of reports.build): one re-run, one report
    ("10", False),  # acks_late alone: the lost task is acked as failed, never re-run
    ("01", False),  # reject_on_worker_lost alone: the message was acked on receipt, nothing to reject
    ("00", False),
], ids=["both", "acks_late-only", "reject-only", "neither"])
def test_a_worker_process_killed_mid_report(survey, start_worker, media, flags, reruns):
    many_villages(survey["a"], 200)
    worker = start_worker(flags)
    report, _ = services.request_report(subject=data.subject_from_key("county"), year=2024, quarter=2)
    assert wait_for(lambda: report_state(report.pk)["progress"] >= 25, 120), worker.log.read_text()[-3000:]
    [child] = children(worker.pid)
    os.kill(child, signal.SIGKILL)  # mid-report: the PDF is being written
    killed_at = report_state(report.pk)
    assert killed_at["status"] == "running" and killed_at["progress"] < 90
    if reruns:
        assert wait_for(lambda: report_state(report.pk)["status"] == "done", 120), worker.log.read_text()[-3000:]
        state = report_state(report.pk)
        assert state["attempt"] == 2  # exactly one re-run
        report.refresh_from_db()
        folder = (media / report.pdf.name).parent
        assert sorted(p.suffix for p in folder.iterdir()) == [".pdf", ".xlsx"]  # no half-written file left
        assert (media / report.pdf.name).read_bytes().rstrip().endswith(b"%%EOF")
    else:
        time.sleep(8)  # a re-run would have started within a second or two
        state = report_state(report.pk)
        assert (state["status"], state["attempt"]) == ("running", 1)  # lost until the outbox sweep notices
        folder = services.report_dir(report)
        assert not list(folder.glob("*.pdf")) if folder.exists() else True  # never a file shown as done
    assert worker.poll() is None


def test_the_broker_stopped_and_started_again(client, official, survey, start_worker, redis_broker, media):
    worker = start_worker()
    client.force_login(official)
    url = reverse("reports:list")

    # a hanging broker (the process stopped, its port still open)
    os.kill(redis_broker.proc.pid, signal.SIGSTOP)
    started = time.monotonic()
    county = f"county:{County.objects.get().code}"  # a report form's subject names its county
    response = client.post(url, {"period": "2024-2", "subject": county}, follow=True)
    assert time.monotonic() - started < 3
    os.kill(redis_broker.proc.pid, signal.SIGCONT)
    hung = Report.objects.get()
    assert hung.status == "queued" and hung.enqueued_at is None
    assert "queue is not answering" in response.content.decode() or "队列" in response.content.decode()
    Report.objects.filter(pk=hung.pk).update(status="failed", message="test: set aside")

    # a broker that is down
    redis_broker.stop()
    started = time.monotonic()
    response = client.post(url, {"period": "2024-1", "subject": county}, follow=True)
    elapsed = time.monotonic() - started
    assert elapsed < 3, elapsed
    report = Report.objects.get(quarter=1)
    assert report.status == "queued" and report.enqueued_at is None  # kept
    progress = reverse("reports:progress", args=[report.pk])
    assert client.get(progress).json()["waiting_for_queue"] is False  # queued: the queue's trouble is not said yet
    Report.objects.filter(pk=report.pk).update(created_at=report.created_at - dt.timedelta(seconds=settings.WORK_QUEUE_WARN_SECONDS + 1))
    cache.delete(f"reports:resend:{report.pk}")
    assert client.get(progress).json()["waiting_for_queue"] is True  # unsent for a while: now it is

    redis_broker.start()  # back (empty: nothing was kept in it)

    def done():
        cache.delete(f"reports:resend:{report.pk}")
        return client.get(progress).json()["status"] == "done"  # the page a person watches re-sends it

    assert wait_for(done, 120, step=1), (report_state(report.pk), worker.log.read_text()[-3000:])
    report.refresh_from_db()
    assert report.attempt == 1 and (media / report.pdf.name).exists()
    assert settings.CELERY_BEAT_SCHEDULE["send-queued-reports"]["task"] == "reports.send_queued"
